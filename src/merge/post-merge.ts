import {
  claimVerifyDeadline,
  findMergedTasksForSha,
  findMergingTasks,
  getTask,
  insertRevertTask,
  pauseRepo,
  recordEvent,
  updatePullTask,
} from "../db/queries/index.js";
import type { Task } from "../db/schema.js";
import { withTaskLock } from "../db/task-lock.js";
import { inTransaction, transitionTask } from "../db/transition.js";
import type { PullGitHub } from "../github/pull-github.js";
import type { CheckState } from "../policies/merge-decision.js";
import { type LockedContext, type MergeDeps, policyOf } from "./context.js";
import { revertedComment, revertRedComment, verifiedWithoutChecksComment } from "./messages.js";

export type PostMergeState =
  | { kind: "red"; failed: string[] }
  | { kind: "green" }
  | { kind: "pending" }
  | { kind: "none" };

/** The default branch's verdict on a merge commit: any failure is red; all done and passing is green. */
export function postMergeState(
  checks: ReadonlyArray<{ name: string; state: CheckState }>,
): PostMergeState {
  if (checks.length === 0) return { kind: "none" };
  const failed = checks.filter((c) => c.state === "failure").map((c) => c.name);
  if (failed.length) return { kind: "red", failed };
  if (checks.some((c) => c.state === "pending")) return { kind: "pending" };
  return { kind: "green" };
}

export type PostMergeOutcome =
  | { kind: "skipped"; taskId: number; reason: string }
  | { kind: "pending"; taskId: number }
  | { kind: "verified"; taskId: number; withoutChecks: boolean }
  | { kind: "reverted"; taskId: number; revertTaskId: number }
  | { kind: "revert_red"; taskId: number };

/**
 * A check or status on a commit of the repo: settles each merged task whose merge commit it is.
 * Nothing else polls: the events of the default branch's CI drive this, and the deadline sweep
 * covers a merge commit that never gets a check.
 */
export async function onDefaultBranchChecks(
  deps: MergeDeps,
  gh: PullGitHub,
  repoFullName: string,
  sha: string,
): Promise<PostMergeOutcome[]> {
  let merged = await findMergedTasksForSha(deps.db, repoFullName, sha);
  if (merged.length === 0) {
    // The merge commit's first checks can beat the evaluator that is still recording the merge:
    // wait for each merge in flight to finish (its lock), then look again.
    const inFlight = await findMergingTasks(deps.db, repoFullName);
    if (inFlight.length === 0) return [];
    for (const task of inFlight) await withTaskLock(deps.db, task.id, async () => {});
    merged = await findMergedTasksForSha(deps.db, repoFullName, sha);
  }
  const outcomes: PostMergeOutcome[] = [];
  for (const task of merged) {
    outcomes.push(
      await withTaskLock(deps.db, task.id, (db) => settleMerge({ ...deps, db }, gh, task.id)),
    );
  }
  return outcomes;
}

/**
 * Judges one merged task by the checks on its merge commit. With `sweptAt` (its verify deadline
 * passed), a merge commit without any check counts as verified, and one still pending is left to
 * its webhooks.
 */
export async function settleMerge(
  ctx: LockedContext,
  gh: PullGitHub,
  taskId: number,
  sweptAt?: Date,
): Promise<PostMergeOutcome> {
  const task = await getTask(ctx.db, taskId);
  if (task?.state !== "merged") {
    return { kind: "skipped", taskId, reason: `the task is ${task?.state ?? "gone"}` };
  }
  const checks = task.mergeSha ? await gh.checksFor(task.mergeSha) : [];
  const state = postMergeState(checks);
  switch (state.kind) {
    case "red":
      return task.kind === "revert"
        ? revertStillRed(ctx, gh, task, state.failed)
        : revertMerge(ctx, gh, task, state.failed);
    case "green":
      return verify(ctx, gh, task, { withoutChecks: false });
    case "none":
      if (!sweptAt) return { kind: "pending", taskId };
      return verify(ctx, gh, task, { withoutChecks: true, sweptAt });
    case "pending":
      // Past the deadline but running: the checks' own events finish the job.
      if (sweptAt) await claimVerifyDeadline(ctx.db, task.id, sweptAt);
      return { kind: "pending", taskId };
  }
}

async function verify(
  ctx: LockedContext,
  gh: PullGitHub,
  task: Task,
  options: { withoutChecks: boolean; sweptAt?: Date },
): Promise<PostMergeOutcome> {
  const { sweptAt, withoutChecks } = options;
  const verified = await inTransaction(ctx.db, async (tx) => {
    // The sweep's claim: of two sweepers, only the one that clears the deadline goes on.
    if (sweptAt && !(await claimVerifyDeadline(tx, task.id, sweptAt))) return null;
    return transitionTask(tx, {
      taskId: task.id,
      to: "verified",
      from: ["merged"],
      set: { verifyDeadlineAt: null },
      event: { kind: "verified", data: { mergeSha: task.mergeSha, withoutChecks } },
    });
  });
  if (!verified) return { kind: "skipped", taskId: task.id, reason: "settled meanwhile" };
  if (withoutChecks && task.prNumber !== null) {
    const timeout = policyOf(task).postMerge.timeout;
    await gh.comment(task.prNumber, verifiedWithoutChecksComment(timeout, task.mergeSha ?? ""));
  }
  // The work of a revert undid the issue's change: its issue is not done.
  if (task.kind === "issue" && (await gh.getIssueState(task.issueNumber)) === "open") {
    await gh.closeIssue(task.issueNumber);
  }
  return { kind: "verified", taskId: task.id, withoutChecks };
}

/**
 * Red after the fleet's merge: the task is reverted, a revert task is queued and the repo is
 * paused, all in one transaction; then the PR and the issue are told.
 */
async function revertMerge(
  ctx: LockedContext,
  gh: PullGitHub,
  task: Task,
  failed: string[],
): Promise<PostMergeOutcome> {
  const mergeSha = task.mergeSha ?? "";
  const pr = task.prNumber === null ? "" : ` (from #${task.prNumber})`;
  const reason = `Post-merge CI failed on ${mergeSha}${pr}: ${failed.join(", ")}.`;
  const done = await inTransaction(ctx.db, async (tx) => {
    const reverted = await transitionTask(tx, {
      taskId: task.id,
      to: "reverted",
      from: ["merged"],
      set: { verifyDeadlineAt: null },
      event: { kind: "reverted", data: { mergeSha, failed } },
    });
    if (!reverted) return null;
    const revert = await insertRevertTask(tx, { original: reverted, revertSha: mergeSha, reason });
    await pauseRepo(tx, {
      repoFullName: task.repoFullName,
      installationId: task.installationId,
      reason,
      taskId: task.id,
    });
    return revert.task;
  });
  if (!done) return { kind: "skipped", taskId: task.id, reason: "settled meanwhile" };
  ctx.log.warn(
    { taskId: task.id, mergeSha, failed, revertTaskId: done.id },
    "post-merge CI red; revert queued and repo paused",
  );
  const body = revertedComment({ mergeSha, failed });
  if (task.prNumber !== null) await gh.comment(task.prNumber, body);
  await gh.comment(task.issueNumber, body);
  return { kind: "reverted", taskId: task.id, revertTaskId: done.id };
}

/** A revert that is itself red is never reverted: humans are told, the repo stays paused. */
async function revertStillRed(
  ctx: LockedContext,
  gh: PullGitHub,
  task: Task,
  failed: string[],
): Promise<PostMergeOutcome> {
  if (task.flaggedReason !== null) return { kind: "revert_red", taskId: task.id };
  const mergeSha = task.mergeSha ?? "";
  const reason = `the default branch is still red after the revert: ${failed.join(", ")}`;
  const flagged = await inTransaction(ctx.db, async (tx) => {
    const updated = await updatePullTask(tx, task.id, ["merged"], {
      flaggedReason: reason,
      verifyDeadlineAt: null,
    });
    if (!updated) return null;
    await recordEvent(tx, { taskId: task.id, kind: "flagged", data: { reason, mergeSha } });
    await pauseRepo(tx, {
      repoFullName: task.repoFullName,
      installationId: task.installationId,
      reason,
      taskId: task.id,
    });
    return updated;
  });
  if (!flagged) return { kind: "skipped", taskId: task.id, reason: "settled meanwhile" };
  const body = revertRedComment({ mergeSha, failed });
  if (task.prNumber !== null) await gh.comment(task.prNumber, body);
  await gh.comment(task.issueNumber, body);
  return { kind: "revert_red", taskId: task.id };
}
