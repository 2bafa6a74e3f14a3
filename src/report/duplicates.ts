import { type SQL, sql } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import { type AgentLife, duplicateStarts } from "../sim/agent-lives.js";
import type { ReportWindow } from "./collect.js";
import { iso, repoFilter } from "./sql-window.js";
import type { DuplicateStart } from "./types.js";

/** Outcomes after which another agent start needs a reason (the sim report counts the same). */
const SUCCESS = new Set(["succeeded", "no_changes"]);

/**
 * Attempts started in the window that should not have been, judged the way the simulator judges
 * agent starts (`duplicateStarts`): overlapping another attempt of the same issue, or following a
 * successful one with nothing asking for more. Asking is a policy follow-up (fix, rebase, conflict
 * work queued from an open PR), a human retry, or a new task for the issue. Times are compared in
 * microseconds: a claim can follow the previous finish within the same millisecond.
 */
export async function duplicateDispatches(
  db: DbOrTx,
  window: ReportWindow,
): Promise<DuplicateStart[]> {
  const issues = sql`
    select distinct t.repo_full_name, t.issue_number
    from attempts a join tasks t on t.id = a.task_id
    where t.kind = 'issue'
      and a.started_at >= ${iso(window.from)}::timestamptz
      and a.started_at < ${iso(window.to)}::timestamptz
      and ${repoFilter(sql`t.repo_full_name`, window.repos)}`;
  const history = await db.execute<{
    id: string;
    repo: string;
    issue: number;
    number: number;
    outcome: string | null;
    started_us: string;
    ended_us: string | null;
  }>(sql`
    with issues as (${issues})
    select a.id, t.repo_full_name as repo, t.issue_number as issue, a.number, a.outcome,
           ${micros(sql`a.started_at`)} as started_us, ${micros(sql`a.ended_at`)} as ended_us
    from attempts a
    join tasks t on t.id = a.task_id
    join issues i on i.repo_full_name = t.repo_full_name and i.issue_number = t.issue_number
    where t.kind = 'issue' and a.started_at < ${iso(window.to)}::timestamptz
    order by a.started_at, a.id`);
  if (history.rows.length === 0) return [];
  const asked = await db.execute<{ repo: string; issue: number; at_us: string }>(sql`
    with issues as (${issues})
    select t.repo_full_name as repo, t.issue_number as issue, ${micros(sql`e.at`)} as at_us
    from events e
    join tasks t on t.id = e.task_id
    join issues i on i.repo_full_name = t.repo_full_name and i.issue_number = t.issue_number
    where t.kind = 'issue' and e.to_state = 'queued'
      and (e.from_state is null or e.from_state in ('pr_open', 'needs_review', 'merging', 'failed'))
      and e.at < ${iso(window.to)}::timestamptz`);

  const lives: AgentLife[] = history.rows.map((r) => ({
    key: `${r.repo}#${r.issue}`,
    // The attempt id stands in for the pid: it breaks ties and finds the row again.
    pid: Number(r.id),
    ppid: undefined,
    startTime: undefined,
    attempt: r.number,
    behavior: r.outcome ?? "running",
    startedAt: Number(r.started_us),
    diedAt: r.ended_us === null ? null : Number(r.ended_us),
    natural: r.ended_us !== null,
    end: r.ended_us === null ? "alive" : "exit",
    code: null,
    sigtermIgnoredAt: null,
  }));
  const successes = new Map<string, number[]>();
  for (const r of history.rows) {
    if (r.outcome === null || !SUCCESS.has(r.outcome) || r.ended_us === null) continue;
    const key = `${r.repo}#${r.issue}`;
    successes.set(key, [...(successes.get(key) ?? []), Number(r.ended_us)]);
  }
  const followUps = new Map<string, number[]>();
  for (const r of asked.rows) {
    const key = `${r.repo}#${r.issue}`;
    followUps.set(key, [...(followUps.get(key) ?? []), Number(r.at_us)]);
  }
  const fromUs = window.from.getTime() * 1000;
  const toUs = window.to.getTime() * 1000;
  const rowOf = new Map(history.rows.map((r) => [Number(r.id), r]));
  return duplicateStarts(lives, successes, followUps)
    .filter((life) => life.startedAt >= fromUs && life.startedAt < toUs)
    .flatMap((life) => {
      const row = rowOf.get(life.pid);
      if (!row) return [];
      return [
        {
          repo: row.repo,
          issue: row.issue,
          attempt: life.attempt,
          startedAt: new Date(Math.floor(life.startedAt / 1000)).toISOString(),
        },
      ];
    });
}

/** Epoch microseconds as text (exact: a double holds them until the year 2255). */
function micros(column: SQL): SQL {
  return sql`(extract(epoch from ${column}) * 1000000)::bigint::text`;
}
