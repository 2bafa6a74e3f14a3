import type { PolicyConfig } from "../config/fleet-config.js";
import { latestTaskEvent, queuePullWork } from "../db/queries/index.js";
import type { Task } from "../db/schema.js";
import type { TaskState } from "../db/task-states.js";
import { transitionTask } from "../db/transition.js";
import type { PullGitHub, PullInfo } from "../github/pull-github.js";
import type { LockedContext } from "./context.js";
import { flaggedComment, rebaseQueuedComment } from "./messages.js";
import { flagTask, recordMerged, toPullOpen } from "./task-actions.js";

/** Whether a rebase was already queued for this very head (so another one would not help). */
export async function rebaseTriedOn(
  ctx: LockedContext,
  taskId: number,
  headSha: string,
): Promise<boolean> {
  const last = await latestTaskEvent(ctx.db, taskId, "rebase_queued");
  return last?.data.headSha === headSha;
}

/** A conflict with the base: the runner rebases the branch, once per head; then humans decide. */
export async function queueRebase(
  ctx: LockedContext,
  gh: PullGitHub,
  task: Task,
  pull: PullInfo,
  from: readonly TaskState[],
): Promise<Task | null> {
  if (await rebaseTriedOn(ctx, task.id, pull.headSha)) {
    const reason = "the branch conflicts with the base and a rebase did not help";
    const flagged = await flagTask(ctx.db, task, reason);
    if (flagged) await gh.comment(pull.number, flaggedComment(reason));
    return flagged;
  }
  const queued = await queuePullWork(ctx.db, {
    task,
    from,
    work: "rebase",
    workContext: null,
    countsAsFix: false,
    event: { kind: "rebase_queued", data: { headSha: pull.headSha, base: pull.baseRef } },
  });
  if (queued) await gh.comment(pull.number, rebaseQueuedComment(pull.baseRef));
  return queued;
}

/**
 * Merges the PR, guarded twice: the `merging` transition lets one evaluator through, and the
 * merge API's `sha` refuses if the head moved since the policy judged it.
 */
export async function mergePull(
  ctx: LockedContext,
  gh: PullGitHub,
  task: Task,
  pull: PullInfo,
  policy: PolicyConfig,
): Promise<Task | null> {
  const merging = await transitionTask(ctx.db, {
    taskId: task.id,
    to: "merging",
    from: ["pr_open", "needs_review"],
    set: { checksDeadlineAt: null, flaggedReason: null },
    event: { kind: "merging", data: { headSha: pull.headSha, method: policy.mergeMethod } },
  });
  if (!merging) return null;
  let result: Awaited<ReturnType<PullGitHub["merge"]>>;
  try {
    result = await gh.merge(pull.number, {
      sha: pull.headSha,
      method: policy.mergeMethod,
      title: `${pull.title} (#${pull.number})`,
    });
  } catch (error) {
    await toPullOpen(ctx.db, merging, "merge_failed", { error: (error as Error).message });
    throw error;
  }
  if (result.merged) return recordMerged(ctx, merging, result.sha, "fleet");

  const refused = { reason: result.reason, message: result.message, headSha: pull.headSha };
  ctx.log.info({ taskId: task.id, pr: pull.number, ...refused }, "merge refused");
  if (result.reason === "head_moved") {
    // A push is on its way in; its synchronize event judges the new head.
    return toPullOpen(ctx.db, merging, "merge_refused", refused);
  }
  const again = result.reason === "conflict" ? null : await gh.getPull(pull.number);
  if (result.reason === "conflict" || again?.mergeable === false) {
    return queueRebase(ctx, gh, merging, pull, ["merging"]);
  }
  const reason = `GitHub refused the merge: ${result.message}`;
  const flagged = await flagTask(ctx.db, merging, reason, refused);
  if (flagged) await gh.comment(pull.number, flaggedComment(reason));
  return flagged;
}

/**
 * A task found in `merging` under the lock: a process died between the merge call and recording
 * its outcome. GitHub knows whether it merged.
 */
export async function recoverMerging(
  ctx: LockedContext,
  gh: PullGitHub,
  task: Task,
): Promise<Task | null> {
  if (task.prNumber === null) return null;
  const pull = await gh.getPull(task.prNumber);
  if (pull.merged) {
    await recordMerged(ctx, task, pull.mergeSha, "fleet");
    return null;
  }
  return toPullOpen(ctx.db, task, "merge_interrupted");
}
