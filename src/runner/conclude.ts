import { join } from "node:path";
import { finishAttempt, getTask, listAttempts } from "../db/queries/index.js";
import { dbNowPlus } from "../db/sql-time.js";
import { redactText } from "../log.js";
import { type AttemptOutcome, decideRetry } from "../policies/retry.js";
import {
  FAILED_LABEL,
  noChangesComment,
  pullRequestOpenedComment,
  taskFailedComment,
} from "../tasks/messages.js";
import type { AgentExit } from "./agent-process.js";
import type { AttemptContext } from "./attempt-context.js";
import { worktreeDirFor } from "./attempt-meta.js";
import { tailFile } from "./file-tail.js";
import type { LiveAgent } from "./follow.js";
import { pullRequestBody } from "./pr-body.js";
import type { SupervisionOutcome } from "./supervise.js";

/** Turns what the supervisor saw into the task's next state, and tells the issue. */
export async function concludeAttempt(
  ctx: AttemptContext,
  agent: LiveAgent,
  outcome: SupervisionOutcome,
): Promise<void> {
  if (outcome.kind === "released") {
    ctx.log.info({ pid: agent.pid }, "runner stopping; agent left running for its successor");
    return;
  }
  try {
    switch (outcome.kind) {
      case "cancelled":
        // Cancelling closed the task and its attempt already; nothing is pushed.
        ctx.log.info(
          { pid: agent.pid, killedWith: outcome.killedWith },
          "agent stopped: cancelled",
        );
        break;
      case "stalled":
      case "timed_out":
        ctx.log.warn({ pid: agent.pid, killedWith: outcome.killedWith }, `agent ${outcome.kind}`);
        await failAttempt(ctx, agent, outcome.kind, outcome.exit);
        break;
      case "exited":
        if (outcome.exit.reason === "lease-expired") {
          // Its own dead-man's switch ended it: this runner lost touch for a whole lease.
          await failAttempt(ctx, agent, "lost", outcome.exit, "the agent's lease expired");
        } else if (outcome.exit.code === 0) await deliverWork(ctx, agent);
        else await failAttempt(ctx, agent, "crashed", outcome.exit);
        break;
    }
  } catch (error) {
    await concludeRunnerError(ctx, error, agent.meta.worktreeDir, agent);
    return;
  }
  await removeWorktree(ctx, agent.meta.worktreeDir);
}

/** Exit 0: commit what the agent left, then push and open a PR, or report no changes. */
async function deliverWork(ctx: AttemptContext, agent: LiveAgent): Promise<void> {
  const { task, attempt } = ctx;
  const { meta } = agent;
  if (!(await stillHeld(ctx))) {
    ctx.log.warn("the task changed hands while the agent ran; nothing is pushed");
    return;
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
    return;
  }
  const token = await gh.createPushToken();
  await ctx.workspaces.push({
    dir: meta.worktreeDir,
    cloneUrl: task.cloneUrl,
    branch: meta.branch,
    token,
  });
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
    }),
  });
  const done = await finishAttempt(ctx.db, {
    ...fence,
    outcome: "succeeded",
    exitCode: 0,
    to: "pr_open",
    set: { branch: meta.branch, prNumber: pr.number, prUrl: pr.url },
    eventData: { pr: pr.number, branch: meta.branch, changedFiles: changedFiles.length },
  });
  if (!done) {
    ctx.log.warn({ pr: pr.number }, "PR opened but the task left this runner meanwhile");
    return;
  }
  await gh.comment(task.issueNumber, pullRequestOpenedComment(pr.url));
  ctx.log.info({ pr: pr.number, branch: meta.branch }, "pull request opened");
}

/** A retryable failure waits out its backoff in the database; the last one fails the task. */
async function failAttempt(
  ctx: AttemptContext,
  agent: LiveAgent | undefined,
  outcome: AttemptOutcome,
  exit: AgentExit | null,
  lastError?: string,
): Promise<void> {
  const { task, attempt, config } = ctx;
  const fence = { taskId: task.id, attemptId: attempt.id, leaseToken: attempt.leaseToken };
  const exitFields = { exitCode: exit?.code ?? null, signal: exit?.signal ?? null };
  const decision = decideRetry({
    outcome,
    attempt: attempt.number,
    attemptBase: task.attemptBase,
    maxAttempts: config.agent.maxAttempts,
    initialMs: config.retry.initial,
    maxMs: config.retry.max,
  });
  if (decision.kind === "retry") {
    const done = await finishAttempt(ctx.db, {
      ...fence,
      ...exitFields,
      outcome,
      to: "retry_wait",
      set: { runAfter: dbNowPlus(ctx.clock.scale(decision.delayMs)), lastError: lastError ?? null },
      eventData: { retryInMs: decision.delayMs },
    });
    if (done)
      ctx.log.info({ outcome, retryInMs: decision.delayMs }, "attempt failed; retry scheduled");
    return;
  }
  const done = await finishAttempt(ctx.db, {
    ...fence,
    ...exitFields,
    outcome,
    to: "failed",
    set: { lastError: lastError ?? `last attempt ${outcome}` },
  });
  if (!done) return;
  const gh = await ctx.github.forRepo(task.installationId, task.repoFullName);
  const token = await gh.createPushToken().catch(() => undefined);
  const stderrTail = agent
    ? redactText(await tailFile(join(agent.attemptDir, "stderr.log")), token ? [token] : [])
    : "";
  const history = await listAttempts(ctx.db, task.id);
  await gh.comment(
    task.issueNumber,
    taskFailedComment({
      attempts: history
        .filter((a) => a.number > task.attemptBase)
        .map((a) => ({
          number: a.number,
          outcome: a.outcome ?? "unknown",
          runtimeMs: a.endedAt ? a.endedAt.getTime() - a.startedAt.getTime() : null,
          exitCode: a.exitCode,
          signal: a.signal,
        })),
      lastError: lastError ?? null,
      stderrTail,
    }),
  );
  await gh.addLabel(task.issueNumber, FAILED_LABEL);
  ctx.log.warn({ attempts: attempt.number }, "task failed after its last attempt");
}

/** The runner itself failed (GitHub, git, disk): retried like a crash, with the error kept. */
export async function concludeRunnerError(
  ctx: AttemptContext,
  error: unknown,
  worktreeDir: string,
  agent?: LiveAgent,
): Promise<void> {
  const message = redactText((error as Error)?.message ?? String(error));
  ctx.log.error({ err: { message } }, "attempt failed in the runner");
  try {
    await failAttempt(ctx, agent, "runner_error", null, message.split("\n")[0]?.slice(0, 500));
  } catch (reportError) {
    ctx.log.error({ err: reportError }, "could not record the runner error");
  }
  await removeWorktree(ctx, worktreeDir);
}

async function stillHeld(ctx: AttemptContext): Promise<boolean> {
  const current = await getTask(ctx.db, ctx.task.id);
  return current?.state === "running" && current.leaseToken === ctx.attempt.leaseToken;
}

async function removeWorktree(ctx: AttemptContext, dir: string): Promise<void> {
  await ctx.workspaces
    .removeWorktree(dir)
    .catch((error) => ctx.log.warn({ err: error }, "worktree cleanup failed"));
}

/** The agent is gone and left no exit record: counted as lost and retried like a crash. */
export async function concludeLost(ctx: AttemptContext, reason: string): Promise<void> {
  ctx.log.warn({ reason }, "attempt lost");
  await failAttempt(ctx, undefined, "lost", null, reason);
  // The worktree may exist even if the agent never started; it pins the branch for a retry.
  await removeWorktree(ctx, worktreeDirFor(ctx.dataDir, ctx.task.id, ctx.attempt.number));
}
