import { finishAttempt } from "../db/queries/index.js";
import type { Task } from "../db/schema.js";
import type { TaskSet } from "../db/transition.js";
import type { AttemptContext } from "./attempt-context.js";
import { stillHeld } from "./attempt-guards.js";
import { NEEDS_REVIEW_LABEL, pullFlaggedComment } from "./pull-messages.js";
import type { PushMode } from "./workspace.js";

/** The open PR a fix, rebase or conflict attempt works on. */
export interface OpenPull {
  number: number;
  branch: string;
}

export function openPullOf(task: Task): OpenPull {
  if (task.prNumber === null || !task.branch) {
    throw new Error(`${task.work} work needs the task's open pull request and its branch`);
  }
  return { number: task.prNumber, branch: task.branch };
}

/**
 * What every move to pr_open records: the head the policy judges next, and a fresh attempt
 * budget for the next fix or rebase. A new head gets a new fleet/policy check run and its own
 * checks deadline, and is no longer flagged.
 */
export function pullOpenSet(ctx: AttemptContext, headSha: string): TaskSet {
  const fresh =
    headSha === ctx.task.headSha ? {} : { policyCheckRunId: null, checksDeadlineAt: null };
  return {
    headSha,
    attemptBase: ctx.attempt.number,
    flaggedReason: null,
    lastError: null,
    ...fresh,
  };
}

/** Hands a task that just reached pr_open to the app (the policy); its failures stay its own. */
export async function announcePullOpened(ctx: AttemptContext, task: Task): Promise<void> {
  if (!ctx.afterPullOpened) return;
  try {
    await ctx.afterPullOpened(task);
  } catch (error) {
    ctx.log.error({ err: error, pr: task.prNumber }, "the after-pull-opened hook failed");
  }
}

/**
 * Pushes HEAD to the open PR's branch and moves the task back to pr_open with the new head. No
 * new PR: the one that exists now shows the new commits. Returns the task for the caller to
 * announce once its worktree is gone; null when the task left this attempt.
 */
export async function pushToPull(
  ctx: AttemptContext,
  input: {
    dir: string;
    pull: OpenPull;
    mode: PushMode;
    exitCode?: number | null;
    eventData: Record<string, unknown>;
    /** Posted on the PR once the task is back in pr_open. */
    comment?: (headSha: string) => string;
  },
): Promise<Task | null> {
  const { task, attempt } = ctx;
  if (!(await stillHeld(ctx))) {
    ctx.log.warn("the task changed hands; nothing is pushed");
    return null;
  }
  const gh = await ctx.github.forRepo(task.installationId, task.repoFullName);
  const token = await gh.createPushToken();
  await ctx.workspaces.push({
    dir: input.dir,
    cloneUrl: task.cloneUrl,
    branch: input.pull.branch,
    defaultBranch: task.defaultBranch,
    token,
    mode: input.mode,
  });
  const headSha = await ctx.workspaces.headSha(input.dir);
  const done = await finishAttempt(ctx.db, {
    taskId: task.id,
    attemptId: attempt.id,
    leaseToken: attempt.leaseToken,
    outcome: "succeeded",
    exitCode: input.exitCode ?? null,
    to: "pr_open",
    set: pullOpenSet(ctx, headSha),
    eventData: { pr: input.pull.number, headSha, push: input.mode.kind, ...input.eventData },
  });
  if (!done) {
    ctx.log.warn({ pr: input.pull.number }, "pushed, but the task left this runner meanwhile");
    return null;
  }
  if (input.comment) await gh.comment(input.pull.number, input.comment(headSha));
  ctx.log.info({ pr: input.pull.number, headSha }, "pushed to the pull request");
  return done;
}

/**
 * The fleet gives up on an open PR: needs_review with the reason, the label and one comment.
 * The PR stays open; a human takes it from here.
 */
export async function flagPull(
  ctx: AttemptContext,
  input: {
    reason: string;
    outcome: string;
    exitCode?: number | null;
    signal?: string | null;
    lastError?: string | null;
    stderrTail?: string;
  },
): Promise<Task | null> {
  const { task, attempt } = ctx;
  const pull = openPullOf(task);
  const done = await finishAttempt(ctx.db, {
    taskId: task.id,
    attemptId: attempt.id,
    leaseToken: attempt.leaseToken,
    outcome: input.outcome,
    exitCode: input.exitCode ?? null,
    signal: input.signal ?? null,
    to: "needs_review",
    set: {
      flaggedReason: input.reason,
      attemptBase: attempt.number,
      ...(input.lastError === undefined ? {} : { lastError: input.lastError }),
    },
    eventData: { pr: pull.number, flaggedReason: input.reason },
  });
  if (!done) return null;
  const gh = await ctx.github.forRepo(task.installationId, task.repoFullName);
  await gh.addLabel(pull.number, NEEDS_REVIEW_LABEL);
  await gh.comment(
    pull.number,
    pullFlaggedComment({
      reason: input.reason,
      ...(input.stderrTail ? { stderrTail: input.stderrTail } : {}),
    }),
  );
  ctx.log.warn({ pr: pull.number, reason: input.reason }, "pull request flagged for humans");
  return done;
}
