import { and, desc, eq, sql } from "drizzle-orm";
import type { DbOrTx } from "../client.js";
import { notifyInTx, TASK_QUEUED } from "../notify.js";
import { type Task, tasks } from "../schema.js";
import { inTransaction, transitionTask } from "../transition.js";
import { recordDelivery } from "./deliveries.js";
import { findActiveTask } from "./read.js";

export type HumanRetryResult =
  | { kind: "requeued"; task: Task }
  | { kind: "duplicate-delivery" }
  | { kind: "already-active"; task: Task }
  | { kind: "nothing-failed" };

/**
 * `/fleet retry`: puts the issue's failed task back in the queue with a fresh attempt budget,
 * once per webhook delivery.
 */
export async function requeueFailedTask(
  db: DbOrTx,
  input: { repoFullName: string; issueNumber: number; requestedBy: string; deliveryId: string },
): Promise<HumanRetryResult> {
  return inTransaction(db, async (tx) => {
    const fresh = await recordDelivery(tx, {
      deliveryId: input.deliveryId,
      event: "issue_comment",
      action: "created",
    });
    if (!fresh) return { kind: "duplicate-delivery" };
    const active = await findActiveTask(tx, input.repoFullName, input.issueNumber);
    if (active) return { kind: "already-active", task: active };
    const [latest] = await tx
      .select()
      .from(tasks)
      .where(
        and(eq(tasks.repoFullName, input.repoFullName), eq(tasks.issueNumber, input.issueNumber)),
      )
      .orderBy(desc(tasks.id))
      .limit(1);
    if (latest?.state !== "failed") return { kind: "nothing-failed" };
    const task = await transitionTask(tx, {
      taskId: latest.id,
      to: "queued",
      from: ["failed"],
      set: { attemptBase: latest.attempt, runAfter: sql`now()`, lastError: null },
      event: { kind: "retry_requested", data: { by: input.requestedBy } },
    });
    if (!task) return { kind: "nothing-failed" };
    await notifyInTx(tx, TASK_QUEUED, String(task.id));
    return { kind: "requeued", task };
  });
}
