import type { DbOrTx } from "../client.js";
import { webhookDeliveries } from "../schema.js";

/** Records an X-GitHub-Delivery id. True when it is new; false for a redelivery. */
export async function recordDelivery(
  db: DbOrTx,
  input: { deliveryId: string; event: string; action?: string | null },
): Promise<boolean> {
  const inserted = await db
    .insert(webhookDeliveries)
    .values({ deliveryId: input.deliveryId, event: input.event, action: input.action ?? null })
    .onConflictDoNothing()
    .returning({ deliveryId: webhookDeliveries.deliveryId });
  return inserted.length > 0;
}
