import { and, asc, eq, lte, sql } from "drizzle-orm";
import type { DbOrTx } from "../client.js";
import { notifyInTx, TASK_QUEUED } from "../notify.js";
import { tasks } from "../schema.js";
import { inTransaction, transitionTask } from "../transition.js";

/**
 * Moves retry_wait tasks whose backoff has elapsed back to queued (and wakes runners). The runner's
 * fallback sweep calls it; returns the requeued task ids.
 */
export async function requeueDueRetries(db: DbOrTx, limit = 100): Promise<number[]> {
  const due = await db
    .select({ id: tasks.id })
    .from(tasks)
    .where(and(eq(tasks.state, "retry_wait"), lte(tasks.runAfter, sql`now()`)))
    .orderBy(asc(tasks.runAfter))
    .limit(limit);
  const requeued: number[] = [];
  for (const { id } of due) {
    const task = await inTransaction(db, async (tx) => {
      const moved = await transitionTask(tx, {
        taskId: id,
        to: "queued",
        from: ["retry_wait"],
        event: { kind: "retry_due" },
      });
      if (moved) await notifyInTx(tx, TASK_QUEUED, String(id));
      return moved;
    });
    if (task) requeued.push(id);
  }
  return requeued;
}
