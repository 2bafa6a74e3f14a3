import { finishAttempt, getTask } from "../db/queries/index.js";
import type { Task } from "../db/schema.js";
import type { AttemptContext } from "./attempt-context.js";
import { mayProceed, removeWorktree, stillHeld } from "./attempt-guards.js";
import { revertBranchName } from "./branch-name.js";
import {
  REVERT_LABEL,
  revertFailedComment,
  revertOpenedComment,
  revertPullBody,
} from "./pull-messages.js";
import { pullOpenSet } from "./pull-settle.js";
import type { RepoAccess } from "./work-plan.js";

/**
 * work=revert, no agent: a merge broke the default branch. `git revert` of the merge commit on
 * a fresh branch from the default branch, pushed and opened as a PR labeled fleet:revert, which
 * then goes through the merge policy like any other. A revert that conflicts fails the task
 * and says so on the issue; the repo stays paused for a human. Returns the task when it
 * reached pr_open.
 */
export async function revertMerge(
  ctx: AttemptContext,
  access: RepoAccess,
  dir: string,
): Promise<Task | null> {
  const { task, attempt } = ctx;
  const revertSha = task.revertSha;
  if (!revertSha) throw new Error("a revert task without the commit to revert");
  const branch = revertBranchName(task.issueNumber, revertSha);
  const original = task.revertOfTaskId === null ? null : await getTask(ctx.db, task.revertOfTaskId);
  const fence = { taskId: task.id, attemptId: attempt.id, leaseToken: attempt.leaseToken };
  try {
    // Always from the default branch as it is now: the fleet is this branch's only writer.
    await ctx.workspaces.createWorktree({
      repoFullName: task.repoFullName,
      cloneUrl: task.cloneUrl,
      token: access.token,
      branch,
      baseBranch: task.defaultBranch,
      dir,
    });
    const reverted = await ctx.workspaces.revert(dir, revertSha);
    if (!reverted.ok) {
      const done = await finishAttempt(ctx.db, {
        ...fence,
        outcome: "conflict",
        to: "failed",
        set: { lastError: `git revert conflicts in ${reverted.conflicts.join(", ")}` },
        eventData: { conflicts: reverted.conflicts },
      });
      if (done)
        await access.gh.comment(
          task.issueNumber,
          revertFailedComment({ revertSha, conflicts: reverted.conflicts }),
        );
      return null;
    }
    if (!(await mayProceed(ctx, dir)) || !(await stillHeld(ctx))) return null;
    await ctx.workspaces.push({
      dir,
      cloneUrl: task.cloneUrl,
      branch,
      defaultBranch: task.defaultBranch,
      token: access.token,
    });
    const headSha = await ctx.workspaces.headSha(dir);
    const title = original?.issueTitle ?? task.issueTitle;
    // An earlier attempt may have opened it already: createPullRequest returns that one.
    const pr = await access.gh.createPullRequest({
      title: `Revert "${title}"`,
      head: branch,
      base: task.defaultBranch,
      body: revertPullBody({
        issueNumber: task.issueNumber,
        originalPull: original?.prNumber ?? null,
        revertSha,
        defaultBranch: task.defaultBranch,
        // the post-merge watch writes the failure into the revert task's body
        failure: task.workContext ?? task.issueBody,
      }),
    });
    await access.gh.addLabel(pr.number, REVERT_LABEL);
    const done = await finishAttempt(ctx.db, {
      ...fence,
      outcome: "succeeded",
      to: "pr_open",
      set: { branch, prNumber: pr.number, prUrl: pr.url, ...pullOpenSet(ctx, headSha) },
      eventData: { pr: pr.number, branch, reverted: revertSha },
    });
    if (!done) {
      ctx.log.warn({ pr: pr.number }, "revert PR opened but the task left this runner meanwhile");
      return null;
    }
    await access.gh.comment(task.issueNumber, revertOpenedComment({ prUrl: pr.url, revertSha }));
    ctx.log.info({ pr: pr.number, revertSha }, "revert pull request opened");
    return done;
  } finally {
    await removeWorktree(ctx, dir);
  }
}
