import type { DbOrTx } from "../client.js";
import { inTransaction } from "../transition.js";
import { recordDelivery } from "./deliveries.js";
import { recordEvent } from "./events.js";

/**
 * Runs a side effect (e.g. a refusal comment) once per webhook delivery and records it as an
 * event. The effect runs inside the transaction that holds the new delivery row: a concurrent
 * redelivery waits on it, and a failed effect rolls the row back so a redelivery can try again.
 * Returns false, doing nothing, for a delivery already seen.
 */
export async function recordDeliveryOnce(
  db: DbOrTx,
  deliveryId: string,
  event: string,
  action: string | null,
  then: {
    kind: string;
    data?: Record<string, unknown>;
    taskId?: number;
    effect?: () => Promise<unknown>;
  },
): Promise<boolean> {
  return inTransaction(db, async (tx) => {
    if (!(await recordDelivery(tx, { deliveryId, event, action }))) return false;
    await then.effect?.();
    await recordEvent(tx, {
      taskId: then.taskId,
      kind: then.kind,
      data: { deliveryId, ...then.data },
    });
    return true;
  });
}
