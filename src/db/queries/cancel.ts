import { and, eq, sql } from "drizzle-orm";
import type { DbOrTx } from "../client.js";
import { notifyInTx, TASK_CANCELLED } from "../notify.js";
import { attempts, type Task } from "../schema.js";
import type { TaskState } from "../task-states.js";
import { inTransaction, transitionTask } from "../transition.js";
import { recordDelivery } from "./deliveries.js";
import { findActiveTask } from "./read.js";

/** Before a PR exists; once one is open, closing it is a human's call. */
export const CANCELLABLE_STATES: readonly TaskState[] = ["queued", "retry_wait", "running"];

/** What `/fleet cancel` may also stop: the fleet's handling of an open PR (it stays open). */
const OPEN_PULL_STATES: readonly TaskState[] = ["pr_open", "needs_review", "merging"];

export interface CancelNotice {
  taskId: number;
  leaseOwner: string | null;
}

/**
 * Cancels the issue's task if it has not reached a PR yet, closes its running attempt, and
 * notifies TASK_CANCELLED with {taskId, leaseOwner} so the runner holding it kills the agent.
 * Returns the cancelled task (lease_owner still names that runner), or null.
 */
export async function cancelActiveTask(
  db: DbOrTx,
  input: {
    repoFullName: string;
    issueNumber: number;
    reason: string;
    deliveryId?: string;
    deliveryAction?: string;
    includeOpenPulls?: boolean;
  },
): Promise<Task | null> {
  return inTransaction(db, async (tx) => {
    if (input.deliveryId !== undefined) {
      const fresh = await recordDelivery(tx, {
        deliveryId: input.deliveryId,
        event: "issues",
        action: input.deliveryAction ?? null,
      });
      if (!fresh) return null;
    }
    const cancellable = input.includeOpenPulls
      ? [...CANCELLABLE_STATES, ...OPEN_PULL_STATES]
      : CANCELLABLE_STATES;
    const active = await findActiveTask(tx, input.repoFullName, input.issueNumber);
    if (!active || !cancellable.includes(active.state)) return null;
    // The guard re-checks under a row lock: the task may have been claimed or finished meanwhile.
    const task = await transitionTask(tx, {
      taskId: active.id,
      to: "cancelled",
      from: cancellable,
      event: { kind: "cancelled", data: { reason: input.reason, deliveryId: input.deliveryId } },
    });
    if (!task) return null;
    await tx
      .update(attempts)
      .set({ state: "finished", outcome: "cancelled", endedAt: sql`now()` })
      .where(and(eq(attempts.taskId, task.id), eq(attempts.state, "running")));
    const notice: CancelNotice = { taskId: task.id, leaseOwner: task.leaseOwner };
    await notifyInTx(tx, TASK_CANCELLED, JSON.stringify(notice));
    return task;
  });
}
