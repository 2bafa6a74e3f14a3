import { and, eq, sql } from "drizzle-orm";
import type { DbOrTx } from "../client.js";
import { attempts, type Task } from "../schema.js";
import type { TaskState } from "../task-states.js";
import { inTransaction, type TaskSet, transitionTask } from "../transition.js";

export interface FinishAttemptInput {
  attemptId: number;
  taskId: number;
  leaseToken: string;
  outcome: string;
  exitCode?: number | null;
  signal?: string | null;
  to: TaskState;
  set?: TaskSet;
  eventData?: Record<string, unknown>;
}

/** The attempt row a lease holder may end: its own, still running, under the same lease. */
export function isRunningAttempt(input: { attemptId: number; taskId: number; leaseToken: string }) {
  return and(
    eq(attempts.id, input.attemptId),
    eq(attempts.taskId, input.taskId),
    eq(attempts.leaseToken, input.leaseToken),
    eq(attempts.state, "running"),
  );
}

/** The task matched the lease but the attempt did not: a caller bug. Throwing rolls back. */
export function notTheRunningAttempt(input: { attemptId: number; taskId: number }): Error {
  return new Error(`attempt ${input.attemptId} is not the running attempt of task ${input.taskId}`);
}

/**
 * Ends an attempt and moves its task on, fenced by the lease token and `running`: a runner whose
 * lease was taken over (or whose task was cancelled) writes nothing and gets null.
 */
export async function finishAttempt(db: DbOrTx, input: FinishAttemptInput): Promise<Task | null> {
  return inTransaction(db, async (tx) => {
    const task = await transitionTask(tx, {
      taskId: input.taskId,
      to: input.to,
      from: ["running"],
      leaseToken: input.leaseToken,
      set: { leaseOwner: null, leaseToken: null, leaseExpiresAt: null, ...input.set },
      event: {
        kind: "attempt_finished",
        attemptId: input.attemptId,
        data: {
          outcome: input.outcome,
          exitCode: input.exitCode ?? null,
          signal: input.signal ?? null,
          ...input.eventData,
        },
      },
    });
    if (!task) return null;
    const ended = await tx
      .update(attempts)
      .set({
        state: "finished",
        outcome: input.outcome,
        exitCode: input.exitCode ?? null,
        signal: input.signal ?? null,
        endedAt: sql`now()`,
      })
      .where(isRunningAttempt(input))
      .returning({ id: attempts.id });
    if (ended.length === 0) throw notTheRunningAttempt(input);
    return task;
  });
}

/** Stores how to find the agent again after a runner restart. False when fenced out. */
export async function recordAttemptProcess(
  db: DbOrTx,
  input: { attemptId: number; leaseToken: string; pid: number; pidStartTime: bigint; dir: string },
): Promise<boolean> {
  const updated = await db
    .update(attempts)
    .set({ pid: input.pid, pidStartTime: input.pidStartTime, dir: input.dir })
    .where(runningAttempt(input.attemptId, input.leaseToken))
    .returning({ id: attempts.id });
  return updated.length > 0;
}

/** Marks the agent as alive now (its status signal). False when fenced out. */
export async function recordAttemptHeartbeat(
  db: DbOrTx,
  input: { attemptId: number; leaseToken: string },
): Promise<boolean> {
  const updated = await db
    .update(attempts)
    .set({ lastHeartbeatAt: sql`now()` })
    .where(runningAttempt(input.attemptId, input.leaseToken))
    .returning({ id: attempts.id });
  return updated.length > 0;
}

function runningAttempt(attemptId: number, leaseToken: string) {
  return and(
    eq(attempts.id, attemptId),
    eq(attempts.leaseToken, leaseToken),
    eq(attempts.state, "running"),
  );
}
