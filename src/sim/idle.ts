import { setTimeout as delay } from "node:timers/promises";
import { sql } from "drizzle-orm";
import type { Clock } from "../config/clock.js";
import type { Db } from "../db/client.js";

/**
 * The cost of one quiet period, for the whole fleet (claim queries and wake-ups are summed over
 * every runner). `from` and `to` are simulated ms since the timeline began.
 */
export interface IdlePeriod {
  from: number;
  to: number;
  /** Every GitHub call but the missed-delivery sweep's. */
  githubApiCalls: number;
  /** Calls of the app's missed-delivery sweep: a list of deliveries per sweep, and redeliveries. */
  redeliverySweepCalls: number;
  claimQueries: number;
  wakeups: number;
}

/** The routes only the missed-delivery sweep calls. */
export const REDELIVERY_SWEEP_ROUTES = [
  "GET /app/hook/deliveries",
  "POST /app/hook/deliveries/{delivery_id}/attempts",
] as const;

export function redeliverySweepCalls(stats: { byRoute: Record<string, number> }): number {
  return REDELIVERY_SWEEP_ROUTES.reduce((sum, route) => sum + (stats.byRoute[route] ?? 0), 0);
}

interface Counters {
  claimQueries: number;
  wakeups: number;
}

/**
 * Measures a quiet period. GitHub calls come from the emulator's counter at the two boundaries.
 * Runners flush their claim and wake-up counters to the `runners` table with every lease
 * renewal (every ttl/3), so each boundary reads them right after every live runner's next
 * renewal: both readings lag their boundary by at most ttl/3, and the window keeps its length.
 * The missed-delivery sweep's calls are counted apart: it lists deliveries on its own timer,
 * however idle the fleet is.
 */
export async function measureQuiet(input: {
  db: Db;
  clock: Clock;
  speed: number;
  durationMs: number;
  timelineStart: number;
  githubCalls: () => number;
  /** The share of `githubCalls` made by the missed-delivery sweep, reported apart. */
  sweepCalls: () => number;
  liveRunners: () => string[];
  leaseTtlMs: number;
}): Promise<IdlePeriod> {
  const renewalWait = input.clock.scale(input.leaseTtlMs) + 10_000;
  const fromReal = Date.now();
  const callsBefore = input.githubCalls();
  const sweepBefore = input.sweepCalls();
  const before = await countersAfterNextRenewal(input.db, input.liveRunners(), renewalWait);
  // A timer may fire a millisecond early (Node truncates), and one real ms is `speed` simulated.
  const untilReal = fromReal + input.clock.scale(input.durationMs);
  while (Date.now() < untilReal) await delay(untilReal - Date.now());
  const toReal = Date.now();
  const callsAfter = input.githubCalls();
  const sweepAfter = input.sweepCalls();
  const after = await countersAfterNextRenewal(input.db, input.liveRunners(), renewalWait);
  const simulated = (real: number) => Math.round((real - input.timelineStart) * input.speed);
  return {
    from: simulated(fromReal),
    to: simulated(toReal),
    githubApiCalls: callsAfter - callsBefore - (sweepAfter - sweepBefore),
    redeliverySweepCalls: sweepAfter - sweepBefore,
    claimQueries: after.claimQueries - before.claimQueries,
    wakeups: after.wakeups - before.wakeups,
  };
}

/** Sums every runner's counters once each live runner has renewed its lease after now. */
async function countersAfterNextRenewal(
  db: Db,
  live: readonly string[],
  timeoutMs: number,
): Promise<Counters> {
  const [mark] = (await db.execute<{ now: string }>(sql`select now()::text as now`)).rows;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = (
      await db.execute<{ id: string; renewed: boolean; claim_queries: string; wakeups: string }>(
        sql`select id, heartbeat_at > ${mark?.now}::timestamptz as renewed,
                   claim_queries::text, wakeups::text
            from runners`,
      )
    ).rows;
    const waiting = live.filter((id) => !rows.some((r) => r.id === id && r.renewed));
    if (waiting.length === 0) {
      return {
        claimQueries: rows.reduce((sum, r) => sum + Number(r.claim_queries), 0),
        wakeups: rows.reduce((sum, r) => sum + Number(r.wakeups), 0),
      };
    }
    if (Date.now() > deadline) {
      throw new Error(`runners ${waiting.join(", ")} did not renew their lease in time`);
    }
    await delay(20);
  }
}
