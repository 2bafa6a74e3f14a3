import { and, count, eq, gte, sql, sum } from "drizzle-orm";
import type { DbOrTx } from "../client.js";
import { attempts, events, type Task, tasks } from "../schema.js";
import { inTransaction, transitionTask } from "../transition.js";
import { isRunningAttempt, notTheRunningAttempt } from "./attempts.js";

/** What the agent reported of one attempt, kept once it ended. */
export interface AttemptReport {
  attemptId: number;
  leaseToken: string;
  costUsd: number | null;
  turns: number | null;
  resultText: string | null;
  logTail: string | null;
}

/**
 * Stores an attempt's report. Fenced by the attempt's own lease token but not by its state: a
 * cancelled attempt is already finished, and what it spent still counts against the day.
 */
export async function recordAttemptReport(db: DbOrTx, report: AttemptReport): Promise<boolean> {
  const updated = await db
    .update(attempts)
    .set({
      costUsd: report.costUsd,
      turns: report.turns,
      resultText: report.resultText,
      logTail: report.logTail,
    })
    .where(and(eq(attempts.id, report.attemptId), eq(attempts.leaseToken, report.leaseToken)))
    .returning({ id: attempts.id });
  return updated.length > 0;
}

/** What the agents of one installation reported spending in attempts started since `since`. */
export async function installationSpendSince(
  db: DbOrTx,
  installationId: number,
  since: Date,
): Promise<number> {
  const [row] = await db
    .select({ spent: sum(attempts.costUsd).mapWith(Number) })
    .from(attempts)
    .innerJoin(tasks, eq(tasks.id, attempts.taskId))
    .where(and(eq(tasks.installationId, installationId), gte(attempts.startedAt, since)));
  return row?.spent ?? 0;
}

export const BUDGET_EXHAUSTED = "budget_exhausted";

/**
 * The daily budget is spent: the claimed task goes back to the queue until `runAfter`, as if it
 * had never been claimed. Its attempt never started, so the attempt row goes (with its claim
 * event) and the counter steps back: the task's attempt budget is untouched. The move is the
 * `budget_exhausted` event. Returns null when fenced out, else whether this is the task's first
 * such event since `dayStart` (so the issue hears about it once a day).
 */
export async function deferForBudget(
  db: DbOrTx,
  input: {
    taskId: number;
    attemptId: number;
    leaseToken: string;
    runAfter: Date;
    dayStart: Date;
    data: { installationId: number; spentUsd: number; limitUsd: number };
  },
): Promise<{ task: Task; firstToday: boolean } | null> {
  return inTransaction(db, async (tx) => {
    const task = await transitionTask(tx, {
      taskId: input.taskId,
      to: "queued",
      from: ["running"],
      leaseToken: input.leaseToken,
      set: {
        leaseOwner: null,
        leaseToken: null,
        leaseExpiresAt: null,
        runAfter: input.runAfter,
        attempt: sql`${tasks.attempt} - 1`,
      },
      event: { kind: BUDGET_EXHAUSTED, data: input.data },
    });
    if (!task) return null;
    const removed = await tx
      .delete(attempts)
      .where(isRunningAttempt(input))
      .returning({ id: attempts.id });
    if (removed.length === 0) throw notTheRunningAttempt(input);
    // The task row is locked by the transition, so two deferrals of one task count in turn.
    const [today] = await tx
      .select({ n: count() })
      .from(events)
      .where(
        and(
          eq(events.taskId, input.taskId),
          eq(events.kind, BUDGET_EXHAUSTED),
          gte(events.at, input.dayStart),
        ),
      );
    return { task, firstToday: (today?.n ?? 0) <= 1 };
  });
}
