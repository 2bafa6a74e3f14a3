import { finishAttempt } from "../db/queries/index.js";
import type { Task } from "../db/schema.js";
import { noChangesComment, pullRequestOpenedComment } from "../tasks/messages.js";
import type { AgentSummary } from "./adapters/types.js";
import type { AttemptContext } from "./attempt-context.js";
import { stillHeld } from "./attempt-guards.js";
import type { LiveAgent } from "./follow.js";
import { pullRequestBody } from "./pr-body.js";
import { pullOpenSet } from "./pull-settle.js";

/**
 * Implement work, exit 0: commit what the agent left, then push and open a PR, or report no
 * changes. Returns the task when it reached pr_open.
 */
export async function deliverNewPull(
  ctx: AttemptContext,
  agent: LiveAgent,
  reported?: AgentSummary,
): Promise<Task | null> {
  const { task, attempt } = ctx;
  const { meta } = agent;
  if (!(await stillHeld(ctx))) {
    ctx.log.warn("the task changed hands while the agent ran; nothing is pushed");
    return null;
  }
  const gh = await ctx.github.forRepo(task.installationId, task.repoFullName);
  await ctx.workspaces.commitAll(
    meta.worktreeDir,
    `${task.issueTitle}\n\nRefs #${task.issueNumber}`,
  );
  const changedFiles = await ctx.workspaces.changedFiles(meta.worktreeDir, meta.baseSha);
  const fence = { taskId: task.id, attemptId: attempt.id, leaseToken: attempt.leaseToken };
  if (changedFiles.length === 0) {
    const done = await finishAttempt(ctx.db, {
      ...fence,
      outcome: "no_changes",
      exitCode: 0,
      to: "no_changes",
    });
    if (done) await gh.comment(task.issueNumber, noChangesComment(attempt.number));
    return null;
  }
  const token = await gh.createPushToken();
  await ctx.workspaces.push({
    dir: meta.worktreeDir,
    cloneUrl: task.cloneUrl,
    branch: meta.branch,
    defaultBranch: task.defaultBranch,
    token,
  });
  const headSha = await ctx.workspaces.headSha(meta.worktreeDir);
  const pr = await gh.createPullRequest({
    title: task.issueTitle,
    head: meta.branch,
    base: task.defaultBranch,
    body: pullRequestBody({
      issueNumber: task.issueNumber,
      attempt: attempt.number,
      runtimeMs: ctx.clock.now() - meta.startedAtMs,
      adapter: meta.adapter,
      requestedBy: task.requestedBy,
      changedFiles,
      ...(reported ? { reported } : {}),
    }),
  });
  const done = await finishAttempt(ctx.db, {
    ...fence,
    outcome: "succeeded",
    exitCode: 0,
    to: "pr_open",
    set: { branch: meta.branch, prNumber: pr.number, prUrl: pr.url, ...pullOpenSet(ctx, headSha) },
    eventData: { pr: pr.number, branch: meta.branch, changedFiles: changedFiles.length },
  });
  if (!done) {
    ctx.log.warn({ pr: pr.number }, "PR opened but the task left this runner meanwhile");
    return null;
  }
  await gh.comment(task.issueNumber, pullRequestOpenedComment(pr.url));
  ctx.log.info({ pr: pr.number, branch: meta.branch }, "pull request opened");
  return done;
}
