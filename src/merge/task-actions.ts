import type { DbOrTx } from "../db/client.js";
import { PULL_STATES, recordEvent, updatePullTask } from "../db/queries/index.js";
import type { Task } from "../db/schema.js";
import { inTransaction, transitionTask } from "../db/transition.js";
import { deadlineAfter, type LockedContext, policyOf } from "./context.js";

/**
 * Hands the PR to humans: state needs_review with the reason. Returns the task when something
 * changed (a comment is due), null when it was already flagged for the same reason.
 */
export async function flagTask(
  db: DbOrTx,
  task: Task,
  reason: string,
  data: Record<string, unknown> = {},
): Promise<Task | null> {
  if (task.state === "needs_review" && task.flaggedReason === reason) return null;
  const set = { flaggedReason: reason, checksDeadlineAt: null };
  const event = { kind: "flagged", data: { reason, ...data } };
  if (task.state === "needs_review") {
    return inTransaction(db, async (tx) => {
      const updated = await updatePullTask(tx, task.id, ["needs_review"], set);
      if (updated) await recordEvent(tx, { taskId: task.id, ...event });
      return updated;
    });
  }
  return transitionTask(db, {
    taskId: task.id,
    to: "needs_review",
    from: ["pr_open", "merging"],
    set,
    event,
  });
}

/**
 * The PR merged (by the fleet or by a human): the task waits for the default branch's CI on the
 * merge commit, for at most policy.postMerge.timeout.
 */
export async function recordMerged(
  ctx: LockedContext,
  task: Task,
  mergeSha: string | null,
  by: string,
): Promise<Task | null> {
  const policy = policyOf(task);
  return transitionTask(ctx.db, {
    taskId: task.id,
    to: "merged",
    from: PULL_STATES,
    set: {
      mergeSha,
      mergedAt: new Date(ctx.clock.now()),
      // Without a merge commit to watch there is nothing to wait for: the sweep verifies it.
      verifyDeadlineAt: mergeSha
        ? deadlineAfter(ctx.clock, policy.postMerge.timeout)
        : new Date(ctx.clock.now()),
      checksDeadlineAt: null,
      flaggedReason: null,
    },
    event: { kind: "merged", data: { mergeSha, by } },
  });
}

/** Back to plain pr_open from an unflagged needs_review (an approval arrived) or a merge attempt. */
export async function toPullOpen(
  db: DbOrTx,
  task: Task,
  kind: string,
  data: Record<string, unknown> = {},
): Promise<Task | null> {
  if (task.state === "pr_open") return task;
  return transitionTask(db, {
    taskId: task.id,
    to: "pr_open",
    from: ["needs_review", "merging"],
    set: { flaggedReason: null },
    event: { kind, data },
  });
}
