import { join } from "node:path";
import { finishAttempt, listAttempts } from "../db/queries/index.js";
import type { Task } from "../db/schema.js";
import { dbNowPlus } from "../db/sql-time.js";
import { redactText } from "../log.js";
import { type AttemptOutcome, decideRetry } from "../policies/retry.js";
import { FAILED_LABEL, taskFailedComment } from "../tasks/messages.js";
import { getAdapter } from "./adapters/index.js";
import type { AgentSummary } from "./adapters/types.js";
import type { AgentExit } from "./agent-process.js";
import { passedThroughSecrets, recordAgentReport } from "./agent-report.js";
import { removeScratch } from "./agent-scratch.js";
import type { AttemptContext } from "./attempt-context.js";
import { removeWorktree } from "./attempt-guards.js";
import { worktreeDirFor } from "./attempt-meta.js";
import { overBudgetReason } from "./budget-messages.js";
import { deliverNewPull } from "./deliver-new-pull.js";
import { deliverFix, deliverResolution, fileList } from "./deliver-pull-update.js";
import { tailFile } from "./file-tail.js";
import type { LiveAgent } from "./follow.js";
import { announcePullOpened, flagPull } from "./pull-settle.js";
import type { SupervisionOutcome } from "./supervise.js";
import { workOf } from "./work-of.js";

/**
 * Turns what the supervisor saw into the task's next state, and tells the issue. A task back in
 * pr_open goes to the policy hook only once the worktree is gone: the hook may queue the next
 * work on the same branch, which this runner may claim at once.
 */
export async function concludeAttempt(
  ctx: AttemptContext,
  agent: LiveAgent,
  outcome: SupervisionOutcome,
): Promise<void> {
  if (outcome.kind === "released") {
    ctx.log.info({ pid: agent.pid }, "runner stopping; agent left running for its successor");
    return;
  }
  let opened: Task | null = null;
  // Whatever the ending, what the agent reported (and spent) is kept before the task moves on.
  const summary = await recordAgentReport(ctx, agent);
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
      case "over_budget":
        ctx.log.warn(
          { pid: agent.pid, killedWith: outcome.killedWith, costUsd: outcome.costUsd },
          "agent over its cost limit",
        );
        await failAttempt(
          ctx,
          agent,
          "over_budget",
          outcome.exit,
          // the agent's own final total, which may have grown while it was being stopped
          overBudgetReason(
            Math.max(outcome.costUsd, summary.costUsd ?? 0),
            ctx.config.agent.maxCostUsd ?? 0,
          ),
        );
        break;
      case "exited":
        if (outcome.exit.reason === "lease-expired") {
          // Its own dead-man's switch ended it: this runner lost touch for a whole lease.
          await failAttempt(ctx, agent, "lost", outcome.exit, "the agent's lease expired");
        } else if (outcome.exit.code === 0) opened = await deliverWork(ctx, agent, summary);
        else await failAttempt(ctx, agent, "crashed", outcome.exit);
        break;
    }
  } catch (error) {
    await concludeRunnerError(ctx, error, agent.meta.worktreeDir, agent);
    return;
  }
  await removeWorktree(ctx, agent.meta.worktreeDir);
  if (opened) await announcePullOpened(ctx, opened);
}

/**
 * Exit 0: what the agent was started for decides how its work reaches GitHub. Returns the task
 * when it is back in pr_open.
 */
async function deliverWork(
  ctx: AttemptContext,
  agent: LiveAgent,
  summary: AgentSummary,
): Promise<Task | null> {
  const removed = await removeScratch(
    agent.meta.worktreeDir,
    getAdapter(agent.meta.adapter).scratch,
  );
  if (removed.length > 0) ctx.log.debug({ removed }, "removed the agent's scratch files");
  switch (agent.meta.work ?? "implement") {
    case "implement":
      return deliverNewPull(ctx, agent, summary);
    case "fix":
      return deliverFix(ctx, agent);
    case "resolve_conflict":
      return deliverResolution(ctx, agent);
  }
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
  const stderrTail = await readStderrTail(ctx, agent);
  if (task.prNumber !== null) {
    // Work on an open PR that ran out of attempts: the PR stays, humans take it over.
    await flagPull(ctx, {
      reason: gaveUpReason(ctx, agent, outcome, lastError),
      outcome,
      ...exitFields,
      lastError: lastError ?? `last attempt ${outcome}`,
      stderrTail,
    });
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

/** The last lines the agent wrote to stderr, without the secrets it was given; never throws. */
async function readStderrTail(ctx: AttemptContext, agent: LiveAgent | undefined): Promise<string> {
  if (!agent) return "";
  const secrets = passedThroughSecrets(ctx, getAdapter(agent.meta.adapter));
  const tail = await tailFile(join(agent.attemptDir, "stderr.log")).catch(() => "");
  return redactText(tail, secrets);
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

const WORK_WORDS: Record<string, string> = {
  implement: "finish the work",
  fix: "fix the failing checks or address the review",
  rebase: "rebase the branch",
  resolve_conflict: "resolve the merge conflicts",
  revert: "revert the merge",
};

function gaveUpReason(
  ctx: AttemptContext,
  agent: LiveAgent | undefined,
  outcome: AttemptOutcome,
  lastError: string | undefined,
): string {
  const { task, attempt } = ctx;
  const spent = attempt.number - task.attemptBase;
  const work = agent?.meta.work ?? workOf(task);
  const conflicts = agent?.meta.conflictFiles?.length
    ? ` (conflicts in ${fileList(agent.meta.conflictFiles)})`
    : "";
  const last = `${outcome.replaceAll("_", " ")}${lastError ? `: ${lastError}` : ""}`;
  return `${spent} attempt${spent === 1 ? "" : "s"} to ${WORK_WORDS[work] ?? work}${conflicts} did not succeed; the last one ${last}`;
}

/** The agent is gone and left no exit record: counted as lost and retried like a crash. */
export async function concludeLost(ctx: AttemptContext, reason: string): Promise<void> {
  ctx.log.warn({ reason }, "attempt lost");
  await failAttempt(ctx, undefined, "lost", null, reason);
  // The worktree may exist even if the agent never started; it pins the branch for a retry.
  await removeWorktree(ctx, worktreeDirFor(ctx.dataDir, ctx.task.id, ctx.attempt.number));
}
