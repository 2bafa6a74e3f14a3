import { deferForBudget, installationSpendSince } from "../db/queries/spend.js";
import type { AttemptContext } from "./attempt-context.js";
import { removeWorktree } from "./attempt-guards.js";
import { dailyBudgetComment } from "./budget-messages.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/** 00:00 UTC of the day `atMs` falls in. */
export function utcDayStart(atMs: number): Date {
  return new Date(Math.floor(atMs / DAY_MS) * DAY_MS);
}

/**
 * budget.dailyUsd, checked right before an agent is launched for a claimed task: when the
 * installation's attempts started today (UTC, by the clock) reported at least the limit, the task
 * goes back to the queue until the next 00:00 UTC without spending an attempt, and its issue is
 * told once a day. False when the agent must not start.
 */
export async function withinDailyBudget(
  ctx: AttemptContext,
  worktreeDir: string,
): Promise<boolean> {
  const limitUsd = ctx.config.budget.dailyUsd;
  if (limitUsd === undefined) return true;
  const { task, attempt } = ctx;
  const dayStart = utcDayStart(ctx.clock.now());
  const spentUsd = await installationSpendSince(ctx.db, task.installationId, dayStart);
  if (spentUsd < limitUsd) return true;

  await removeWorktree(ctx, worktreeDir);
  const deferred = await deferForBudget(ctx.db, {
    taskId: task.id,
    attemptId: attempt.id,
    leaseToken: attempt.leaseToken,
    runAfter: new Date(dayStart.getTime() + DAY_MS),
    dayStart,
    data: { installationId: task.installationId, spentUsd, limitUsd },
  });
  if (!deferred) return false;
  ctx.log.warn(
    { installationId: task.installationId, spentUsd, limitUsd },
    "daily budget spent; task deferred to 00:00 UTC",
  );
  if (deferred.firstToday) {
    // The deferral has committed: a failed comment must not be taken for a failed attempt.
    try {
      const gh = await ctx.github.forRepo(task.installationId, task.repoFullName);
      await gh.comment(task.issueNumber, dailyBudgetComment(limitUsd));
    } catch (error) {
      ctx.log.warn({ err: error }, "could not comment on the deferral for the daily budget");
    }
  }
  return false;
}
