import { setTimeout as delay } from "node:timers/promises";

/**
 * Real ms a probe (/readyz, the gauges of a /metrics scrape) waits for the database. The pool
 * waits out an outage for far longer (patient-pool.ts); a probe must report the outage instead.
 */
export const PROBE_TIMEOUT_MS = 2_000;

/** The work's value, or undefined when it failed or did not answer within `timeoutMs`. */
export async function probeDatabase<T>(
  work: () => Promise<T>,
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<{ value: T } | undefined> {
  const answered = work().then(
    (value) => ({ value }),
    () => undefined,
  );
  return Promise.race([answered, delay(timeoutMs, undefined, { ref: false })]);
}
