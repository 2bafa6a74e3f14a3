import { and, eq, inArray, is, sql } from "drizzle-orm";
import { PgTransaction, type PgUpdateSetSource } from "drizzle-orm/pg-core";
import { transactionWithEffects } from "../metrics/after-commit.js";
import { observeEvent } from "../metrics/observe-event.js";
import type { DbOrTx, Tx } from "./client.js";
import { events, type Task, tasks } from "./schema.js";
import { canTransition, statesLeadingTo, type TaskState } from "./task-states.js";

/** Columns a transition may also set (state and updated_at are its own). */
export type TaskSet = Omit<PgUpdateSetSource<typeof tasks>, "id" | "state" | "updatedAt">;

export interface TransitionInput {
  taskId: number;
  to: TaskState;
  /** Default: every state allowed to reach `to`. Each must be a legal transition. */
  from?: readonly TaskState[];
  /** Fence: only when the task still carries this lease token. */
  leaseToken?: string;
  set?: TaskSet;
  event?: { kind?: string; data?: Record<string, unknown>; attemptId?: number };
}

/**
 * The one way a task changes state: a guarded UPDATE plus its `events` row, in one transaction
 * (the caller's, when given one). Returns null when the guard did not match: the task
 * moved on, or another holder's lease fenced this one out.
 */
export async function transitionTask(db: DbOrTx, input: TransitionInput): Promise<Task | null> {
  const { taskId, to, leaseToken } = input;
  if (to === "running") {
    // Entering `running` must count against the repo's concurrency cap, which only the claim does.
    throw new Error("tasks enter running only through claimNextTask");
  }
  const from = input.from ?? statesLeadingTo(to);
  for (const state of from) {
    if (!canTransition(state, to)) throw new Error(`illegal task transition ${state} -> ${to}`);
  }
  if (from.length === 0) return null;

  return inTransaction(db, async (tx) => {
    // Lock first to learn the state we leave, for the event row.
    const [current] = await tx
      .select({ state: tasks.state, leaseToken: tasks.leaseToken })
      .from(tasks)
      .where(eq(tasks.id, taskId))
      .for("no key update");
    if (!current || !from.includes(current.state)) return null;
    if (leaseToken !== undefined && current.leaseToken !== leaseToken) return null;

    const [task] = await tx
      .update(tasks)
      .set({ ...input.set, state: to, updatedAt: sql`now()` })
      .where(
        and(
          eq(tasks.id, taskId),
          inArray(tasks.state, [...from]),
          leaseToken === undefined ? undefined : eq(tasks.leaseToken, leaseToken),
        ),
      )
      .returning();
    if (!task) return null;
    const event = {
      taskId,
      attemptId: input.event?.attemptId,
      kind: input.event?.kind ?? "transition",
      fromState: current.state,
      toState: to,
      data: input.event?.data ?? {},
    };
    await tx.insert(events).values(event);
    observeEvent(tx, event);
    return task;
  });
}

/** Joins the caller's transaction instead of opening a savepoint (a round trip each way). */
export function inTransaction<T>(db: DbOrTx, run: (tx: Tx) => Promise<T>): Promise<T> {
  // A transaction of its own runs the after-commit effects (metrics) once it committed.
  return is(db, PgTransaction) ? run(db as Tx) : transactionWithEffects(db, run);
}
