import {
  claimChecksDeadline,
  dueChecksDeadlines,
  dueVerifyDeadlines,
  nextPullDeadline,
} from "../db/queries/index.js";
import type { Task } from "../db/schema.js";
import { withTaskLock } from "../db/task-lock.js";
import { inTransaction } from "../db/transition.js";
import type { PullGitHub, PullGitHubFactory } from "../github/pull-github.js";
import { type LockedContext, type MergeDeps, policyOf } from "./context.js";
import { checksTimeoutReason, flaggedComment } from "./messages.js";
import { type PostMergeOutcome, settleMerge } from "./post-merge.js";
import { flagTask } from "./task-actions.js";

export interface SweepResult {
  /** Tasks flagged because their required checks stayed pending past policy.checksTimeout. */
  flagged: number[];
  /** Merged tasks whose post-merge deadline passed, and what became of them. */
  settled: PostMergeOutcome[];
  /** When the next deadline falls due (null: none pending), to schedule the next sweep. */
  nextDueAt: Date | null;
}

/**
 * The policy's two timers, kept in the database: pending checks past their deadline are flagged,
 * and a merge whose commit got no check by its deadline counts as verified. Each due task is
 * claimed with a conditional UPDATE under its lock, so concurrent sweepers never both act.
 */
export async function sweepDeadlines(
  deps: MergeDeps,
  ghFactory: PullGitHubFactory,
): Promise<SweepResult> {
  const now = new Date(deps.clock.now());
  const clients = new Map<string, Promise<PullGitHub>>();
  const github = (task: Task) => {
    let client = clients.get(task.repoFullName);
    if (!client) {
      client = ghFactory.forRepo(task.installationId, task.repoFullName);
      clients.set(task.repoFullName, client);
    }
    return client;
  };
  const result: SweepResult = { flagged: [], settled: [], nextDueAt: null };

  for (const task of await dueChecksDeadlines(deps.db, now)) {
    try {
      const gh = await github(task);
      const flagged = await withTaskLock(deps.db, task.id, (db) =>
        flagPendingChecks({ ...deps, db }, gh, task.id, now),
      );
      if (flagged) result.flagged.push(task.id);
    } catch (error) {
      deps.log.warn({ err: error, taskId: task.id }, "checks deadline sweep failed for a task");
    }
  }
  for (const task of await dueVerifyDeadlines(deps.db, now)) {
    try {
      const gh = await github(task);
      result.settled.push(
        await withTaskLock(deps.db, task.id, (db) =>
          settleMerge({ ...deps, db }, gh, task.id, now),
        ),
      );
    } catch (error) {
      deps.log.warn({ err: error, taskId: task.id }, "post-merge deadline sweep failed for a task");
    }
  }
  result.nextDueAt = await nextPullDeadline(deps.db);
  return result;
}

async function flagPendingChecks(
  ctx: LockedContext,
  gh: PullGitHub,
  taskId: number,
  now: Date,
): Promise<boolean> {
  const flagged = await inTransaction(ctx.db, async (tx) => {
    const claimed = await claimChecksDeadline(tx, taskId, now);
    if (!claimed) return null;
    const reason = checksTimeoutReason(policyOf(claimed).checksTimeout, claimed.decisionReason);
    return flagTask(tx, claimed, reason);
  });
  if (!flagged) return false;
  if (flagged.prNumber !== null && flagged.flaggedReason) {
    await gh.comment(flagged.prNumber, flaggedComment(flagged.flaggedReason));
  }
  return true;
}
