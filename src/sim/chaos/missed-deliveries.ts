import { setTimeout as delay } from "node:timers/promises";
import type { Delivery, Emulator } from "../emulator/index.js";
import type { Scenario } from "../scenario.js";

/** Delivery ids (GitHub's guid) that no attempt delivered: the app never took them in. */
export function missedDeliveries(deliveries: readonly Delivery[]): string[] {
  const delivered = new Map<string, boolean>();
  for (const d of deliveries) {
    const ok = d.status >= 200 && d.status < 300;
    delivered.set(d.id, (delivered.get(d.id) ?? false) || ok);
  }
  return [...delivered].filter(([, ok]) => !ok).map(([id]) => id);
}

/** A scenario whose webhooks may fail on the way: dropped by faults, or sent to a server that is down. */
export function canMissWebhooks(scenario: Scenario): boolean {
  const faults = (scenario as { faults?: { webhooks?: { drop?: number } } }).faults;
  return (
    (faults?.webhooks?.drop ?? 0) > 0 ||
    scenario.events.some((e) => "kill-server" in e || "restart-postgres" in e)
  );
}

/**
 * GitHub's side is settled only once every delivery reached the app: a failed one waits for the
 * app's missed-delivery sweep to redeliver it. Resolves at `deadline` (epoch ms) at the latest,
 * or once `signal` aborts (the simulation is over).
 */
export async function settledWithRedeliveries(
  emulator: Emulator,
  until: { deadline: number; signal: AbortSignal },
): Promise<void> {
  for (;;) {
    await emulator.settled();
    if (missedDeliveries(emulator.deliveries()).length === 0) return;
    if (Date.now() > until.deadline || until.signal.aborted) return;
    await delay(100, undefined, { ref: false });
  }
}
