import { finishAttempt, getTask } from "../db/queries/index.js";
import type { AttemptContext } from "./attempt-context.js";

/** Whether this attempt still owns its task: a takeover or a cancel fences every later write. */
export async function stillHeld(ctx: AttemptContext): Promise<boolean> {
  const current = await getTask(ctx.db, ctx.task.id);
  return current?.state === "running" && current.leaseToken === ctx.attempt.leaseToken;
}

export async function removeWorktree(ctx: AttemptContext, dir: string): Promise<void> {
  await ctx.workspaces
    .removeWorktree(dir)
    .catch((error) => ctx.log.warn({ err: error }, "worktree cleanup failed"));
}

/**
 * Before the runner starts an agent or pushes work it did itself: a cancelled task is left
 * alone (cancelling closed it already), a stopping runner hands the task back to the queue.
 * False when the attempt must end here.
 */
export async function mayProceed(ctx: AttemptContext, worktreeDir: string): Promise<boolean> {
  if (!ctx.release.aborted && !ctx.cancel.aborted) return true;
  await removeWorktree(ctx, worktreeDir);
  if (ctx.cancel.aborted) return false;
  await finishAttempt(ctx.db, {
    taskId: ctx.task.id,
    attemptId: ctx.attempt.id,
    leaseToken: ctx.attempt.leaseToken,
    outcome: "released",
    to: "queued",
  });
  ctx.log.info("runner stopping before the work started; task returned to the queue");
  return false;
}
