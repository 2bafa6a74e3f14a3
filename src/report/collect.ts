import { sql } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import { duplicateDispatches } from "./duplicates.js";
import { type FinishedAttempt, groupFailures, WRITES_LAST_ERROR } from "./failures.js";
import { iso, repoFilter } from "./sql-window.js";
import type {
  AttemptRef,
  FailureCauseGroup,
  HourBusy,
  IssueDispatches,
  MorningReport,
} from "./types.js";
import { wakeupSummary } from "./wakeups.js";
import { policyEvents } from "./window-events.js";

export interface ReportWindow {
  from: Date;
  to: Date;
  /** Only these repos; every repo when absent. */
  repos?: readonly string[];
}

const HOUR_MS = 3_600_000;

/** Reads the window from the events, attempts, tasks and runners tables. */
export async function collectReport(db: DbOrTx, window: ReportWindow): Promise<MorningReport> {
  const rows = await attemptsInWindow(db, window);
  const from = window.from.getTime();
  const to = window.to.getTime();
  const started = rows.filter((r) => inWindow(r.startedAt, from, to));
  const finished = rows.filter((r) => r.endedAt !== null && inWindow(r.endedAt, from, to));
  const byOutcome: Record<string, number> = {};
  for (const r of finished) {
    const outcome = r.outcome ?? "unknown";
    byOutcome[outcome] = (byOutcome[outcome] ?? 0) + 1;
  }
  const events = await policyEvents(db, window);
  const withCost = finished.filter((r) => r.costUsd !== null);
  const mostExpensive = withCost.reduce<AttemptRow | null>(
    (best, r) => (best === null || (r.costUsd ?? 0) > (best.costUsd ?? 0) ? r : best),
    null,
  );
  const longest = rows.reduce<AttemptRow | null>(
    (best, r) => (best === null || runtime(r, to) > runtime(best, to) ? r : best),
    null,
  );
  return {
    window: { from: window.from.toISOString(), to: window.to.toISOString(), ms: to - from },
    repos: window.repos ? [...window.repos] : null,
    wakeups: await wakeupSummary(db, window),
    dispatches: {
      total: started.length,
      issues: new Set(started.map(issueKey)).size,
      perIssue: dispatchesPerIssue(started),
      duplicates: await duplicateDispatches(db, window),
    },
    policy: events.policy,
    attempts: {
      started: started.length,
      finished: finished.length,
      byOutcome,
      stalled: byOutcome.stalled ?? 0,
      timedOut: byOutcome.timed_out ?? 0,
      crashed: byOutcome.crashed ?? 0,
      lost: byOutcome.lost ?? 0,
      runnerErrors: byOutcome.runner_error ?? 0,
      adopted: events.adopted,
    },
    longestAttempt: longest ? attemptRef(longest, to) : null,
    cost: {
      totalUsd: roundUsd(withCost.reduce((sum, r) => sum + (r.costUsd ?? 0), 0)),
      attemptsWithCost: withCost.length,
      attemptsWithoutCost: finished.length - withCost.length,
      mostExpensive: mostExpensive
        ? { ...attemptRef(mostExpensive, to), costUsd: mostExpensive.costUsd ?? 0 }
        : null,
    },
    busyByHour: busyByHour(rows, from, to),
    budget: {
      exhausted: events.budgetStops,
      overBudget: finished.filter((r) => r.outcome === "over_budget").map((r) => attemptRef(r, to)),
    },
    failures: groupFailures(finished.map(finishedAttempt)),
  };
}

/** Failed attempts that ended in the window, grouped by cause (what report.fileIssues files). */
export async function collectFailures(
  db: DbOrTx,
  window: ReportWindow,
): Promise<FailureCauseGroup[]> {
  const from = window.from.getTime();
  const to = window.to.getTime();
  const rows = await attemptsInWindow(db, window);
  return groupFailures(
    rows.filter((r) => r.endedAt !== null && inWindow(r.endedAt, from, to)).map(finishedAttempt),
  );
}

interface AttemptRow {
  id: number;
  repo: string;
  issue: number;
  number: number;
  outcome: string | null;
  exitCode: number | null;
  signal: string | null;
  costUsd: number | null;
  startedAt: Date;
  endedAt: Date | null;
  lastError: string | null;
  finishData: Record<string, unknown> | null;
  ownsLastError: boolean;
}

/** Every attempt that ran during the window, with its finish event and its task's last error. */
async function attemptsInWindow(db: DbOrTx, window: ReportWindow): Promise<AttemptRow[]> {
  const { rows } = await db.execute<{
    id: string;
    repo: string;
    issue: number;
    number: number;
    outcome: string | null;
    exit_code: number | null;
    signal: string | null;
    cost_usd: number | null;
    started_at: string;
    ended_at: string | null;
    last_error: string | null;
    finish_data: Record<string, unknown> | null;
    owns_last_error: boolean;
  }>(sql`
    select a.id, t.repo_full_name as repo, t.issue_number as issue, a.number, a.outcome,
           a.exit_code, a.signal, a.cost_usd, a.started_at, a.ended_at, t.last_error,
           fin.data as finish_data,
           fin.data is not null and a.id = (
             select max(e.attempt_id) from events e
             where e.task_id = t.id and e.kind = 'attempt_finished'
               and e.data->>'outcome' in (${sql.join(
                 [...WRITES_LAST_ERROR].map((o) => sql`${o}`),
                 sql`, `,
               )})) as owns_last_error
    from attempts a
    join tasks t on t.id = a.task_id
    left join lateral (
      select e.data from events e
      where e.task_id = a.task_id and e.attempt_id = a.id and e.kind = 'attempt_finished'
      order by e.id desc limit 1) fin on true
    where a.started_at < ${iso(window.to)}::timestamptz
      and (a.ended_at is null or a.ended_at >= ${iso(window.from)}::timestamptz)
      and ${repoFilter(sql`t.repo_full_name`, window.repos)}
    order by a.started_at, a.id`);
  return rows.map((r) => ({
    id: Number(r.id),
    repo: r.repo,
    issue: r.issue,
    number: r.number,
    outcome: r.outcome,
    exitCode: r.exit_code,
    signal: r.signal,
    costUsd: r.cost_usd === null ? null : Number(r.cost_usd),
    startedAt: new Date(r.started_at),
    endedAt: r.ended_at === null ? null : new Date(r.ended_at),
    lastError: r.last_error,
    finishData: r.finish_data,
    ownsLastError: Boolean(r.owns_last_error),
  }));
}

function dispatchesPerIssue(started: readonly AttemptRow[]): IssueDispatches[] {
  const byIssue = new Map<string, IssueDispatches>();
  for (const r of started) {
    const key = issueKey(r);
    const entry = byIssue.get(key) ?? { repo: r.repo, issue: r.issue, dispatches: 0, outcomes: [] };
    entry.dispatches += 1;
    entry.outcomes.push(r.outcome ?? "running");
    byIssue.set(key, entry);
  }
  return [...byIssue.values()].sort(
    (a, b) => b.dispatches - a.dispatches || a.repo.localeCompare(b.repo) || a.issue - b.issue,
  );
}

/** Run time of the attempts overlapping each UTC hour, clipped to the window. */
function busyByHour(rows: readonly AttemptRow[], from: number, to: number): HourBusy[] {
  const hours: HourBusy[] = [];
  for (let hour = Math.floor(from / HOUR_MS) * HOUR_MS; hour < to; hour += HOUR_MS) {
    const start = Math.max(hour, from);
    const end = Math.min(hour + HOUR_MS, to);
    let busyMs = 0;
    for (const r of rows) {
      const runStart = r.startedAt.getTime();
      const runEnd = r.endedAt?.getTime() ?? to;
      busyMs += Math.max(0, Math.min(runEnd, end) - Math.max(runStart, start));
    }
    hours.push({ hour: new Date(hour).toISOString(), busyMs, spanMs: end - start });
  }
  return hours;
}

function finishedAttempt(r: AttemptRow): FinishedAttempt {
  return {
    repo: r.repo,
    issue: r.issue,
    attempt: r.number,
    outcome: r.outcome ?? "unknown",
    endedAt: r.endedAt ?? new Date(0),
    exitCode: r.exitCode,
    signal: r.signal,
    finishData: r.finishData,
    taskLastError: r.lastError,
    ownsLastError: r.ownsLastError,
  };
}

function attemptRef(r: AttemptRow, to: number): AttemptRef {
  return {
    repo: r.repo,
    issue: r.issue,
    attempt: r.number,
    runtimeMs: runtime(r, to),
    outcome: r.endedAt === null ? null : r.outcome,
  };
}

function runtime(r: AttemptRow, to: number): number {
  return (r.endedAt?.getTime() ?? to) - r.startedAt.getTime();
}

function issueKey(r: { repo: string; issue: number }): string {
  return `${r.repo}#${r.issue}`;
}

function inWindow(at: Date, from: number, to: number): boolean {
  const ms = at.getTime();
  return ms >= from && ms < to;
}

function roundUsd(usd: number): number {
  return Math.round(usd * 10_000) / 10_000;
}
