import { sql } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import type { ReportWindow } from "./collect.js";
import { iso } from "./sql-window.js";
import type { RunnerWork, WakeupSummary, WorkCounters } from "./types.js";

export const WAKEUP_SCOPE =
  "Runners keep cumulative wake-up and claim-query counters per process and store no history, " +
  "so these figures cover each runner process from its start (shown) to its last lease renewal, " +
  "not the report's window. Runners listed renewed their lease during the window. Idle share: " +
  "claim queries that found no work, out of all claim queries.";

/**
 * The runners' counters against the claims each made, over the life of each runner process:
 * the counters are cumulative and not kept per time, so no window can be cut out of them.
 * Runners serve every repo, so this part is never filtered by repo.
 */
export async function wakeupSummary(db: DbOrTx, window: ReportWindow): Promise<WakeupSummary> {
  const { rows } = await db.execute<{
    id: string;
    hostname: string;
    state: string;
    started_at: string;
    heartbeat_at: string;
    wakeups: string;
    claim_queries: string;
    claims: number;
  }>(sql`
    select r.id, r.hostname, r.state, r.started_at, r.heartbeat_at,
           r.wakeups::text, r.claim_queries::text,
           (select count(*) from attempts a
            where a.runner_id = r.id and a.started_at >= r.started_at)::int as claims
    from runners r
    where r.heartbeat_at >= ${iso(window.from)}::timestamptz
      and r.started_at < ${iso(window.to)}::timestamptz
    order by r.id`);
  const runners: RunnerWork[] = rows.map((r) => ({
    id: r.id,
    hostname: r.hostname,
    state: r.state,
    startedAt: new Date(r.started_at).toISOString(),
    heartbeatAt: new Date(r.heartbeat_at).toISOString(),
    ...workCounters(Number(r.wakeups), Number(r.claim_queries), r.claims),
  }));
  const sum = (pick: (r: RunnerWork) => number) => runners.reduce((n, r) => n + pick(r), 0);
  const claimQueries = sum((r) => r.claimQueries);
  const empty = sum((r) => r.emptyClaimQueries);
  return {
    scope: WAKEUP_SCOPE,
    runners,
    totals: {
      wakeups: sum((r) => r.wakeups),
      claimQueries,
      claims: sum((r) => r.claims),
      emptyClaimQueries: empty,
      idleShare: claimQueries > 0 ? empty / claimQueries : null,
    },
  };
}

function workCounters(wakeups: number, claimQueries: number, claims: number): WorkCounters {
  // The counters reach the table with each lease renewal, the claims at once: never below 0.
  const empty = Math.max(0, claimQueries - claims);
  return {
    wakeups,
    claimQueries,
    claims,
    emptyClaimQueries: empty,
    idleShare: claimQueries > 0 ? empty / claimQueries : null,
  };
}
