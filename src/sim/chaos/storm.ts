import type { Emulator } from "../emulator/index.js";

/**
 * A redelivery storm: the `count` most recent deliveries, each sent again under its own
 * X-GitHub-Delivery, all queued at once (as an operator bulk-redelivering, or GitHub replaying
 * after an incident). Resolves once every one was answered or failed.
 */
export async function redeliverStorm(emulator: Emulator, count: number): Promise<number> {
  const recent = emulator.deliveries().slice(-count);
  await Promise.all(recent.map((delivery) => emulator.redeliver(delivery.id)));
  return recent.length;
}
