import { and, asc, eq, inArray, min, sql } from "drizzle-orm";
import type { DbOrTx } from "../client.js";
import { mapRow } from "../map-row.js";
import { notifyInTx, TASK_QUEUED } from "../notify.js";
import { type Attempt, attempts, type Task, tasks } from "../schema.js";
import { inTransaction, transitionTask } from "../transition.js";

/** Advisory lock key for the takeover sweep, so one runner at a time performs it. */
const TAKEOVER_LOCK = sql`hashtextextended('agent-fleet.takeover', 0)`;

/** The attempts a runner still holds: what a restarted runner must adopt, finish or give up. */
export async function listHeldAttempts(
  db: DbOrTx,
  runnerId: string,
): Promise<Array<{ task: Task; attempt: Attempt }>> {
  const rows = await db
    .select({ task: tasks, attempt: attempts })
    .from(attempts)
    .innerJoin(tasks, eq(tasks.id, attempts.taskId))
    .where(
      and(
        eq(tasks.state, "running"),
        eq(tasks.leaseOwner, runnerId),
        eq(attempts.state, "running"),
        eq(attempts.leaseToken, sql`${tasks.leaseToken}`),
      ),
    )
    .orderBy(asc(attempts.id));
  return rows;
}

/**
 * Requeues the running tasks of runners that are gone: the task's lease ran out more than
 * `graceMs` ago and its runner's own lease expired too. The grace covers the agent wrapper's
 * dead-man's switch, which kills an orphaned agent once its lease file is a TTL old, so an agent
 * never overlaps with its replacement. Only one runner sweeps at a time.
 */
export async function takeOverExpiredTasks(
  db: DbOrTx,
  input: { graceMs: number; sweeper: string },
): Promise<number[]> {
  return inTransaction(db, async (tx) => {
    const locked = await tx.execute<{ locked: boolean }>(
      sql`select pg_try_advisory_xact_lock(${TAKEOVER_LOCK}) as locked`,
    );
    if (!locked.rows[0]?.locked) return [];
    const expired = await tx.execute(sql`
      select t.* from tasks t
      left join runners r on r.id = t.lease_owner
      where t.state = 'running'
        and t.lease_expires_at < now() - ${Math.round(input.graceMs)} * interval '1 millisecond'
        and (r.id is null or r.lease_expires_at < now())
      order by t.id
      for no key update of t skip locked`);
    const taken: number[] = [];
    for (const row of expired.rows) {
      const task = mapRow(tasks, row);
      await tx
        .update(attempts)
        .set({ state: "finished", outcome: "lost", endedAt: sql`now()` })
        .where(and(eq(attempts.taskId, task.id), eq(attempts.state, "running")));
      const moved = await transitionTask(tx, {
        taskId: task.id,
        to: "queued",
        from: ["running"],
        leaseToken: task.leaseToken ?? undefined,
        set: { leaseOwner: null, leaseToken: null, leaseExpiresAt: null },
        event: {
          kind: "taken_over",
          data: { previousOwner: task.leaseOwner, sweeper: input.sweeper },
        },
      });
      if (moved) taken.push(task.id);
    }
    if (taken.length > 0) await notifyInTx(tx, TASK_QUEUED, taken.join(","));
    return taken;
  });
}

/** When the earliest waiting retry falls due, so a runner's sweep can wake for it. */
export async function nextRetryDueAt(db: DbOrTx): Promise<Date | null> {
  const [row] = await db
    .select({ at: min(tasks.runAfter) })
    .from(tasks)
    .where(inArray(tasks.state, ["retry_wait", "queued"]));
  return row?.at ?? null;
}

/** Every attempt of a task, oldest first: the failure summary lists them. */
export async function listAttempts(db: DbOrTx, taskId: number): Promise<Attempt[]> {
  return db
    .select()
    .from(attempts)
    .where(eq(attempts.taskId, taskId))
    .orderBy(asc(attempts.number));
}
