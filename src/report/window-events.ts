import { sql } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import type { ReportWindow } from "./collect.js";
import { iso, repoFilter } from "./sql-window.js";
import type { BudgetStop, PolicyEvent } from "./types.js";

/** Merges, flags, reverts, adoptions and budget stops recorded in the window. */
export async function policyEvents(db: DbOrTx, window: ReportWindow) {
  const { rows } = await db.execute<{
    kind: string;
    at: string;
    data: Record<string, unknown>;
    repo: string | null;
    issue: number | null;
    pr: number | null;
  }>(sql`
    select e.kind, e.at, e.data, t.repo_full_name as repo, t.issue_number as issue,
           t.pr_number as pr
    from events e
    left join tasks t on t.id = e.task_id
    where e.at >= ${iso(window.from)}::timestamptz and e.at < ${iso(window.to)}::timestamptz
      and (e.kind in ('merged', 'flagged', 'reverted', 'adopted', 'budget_exhausted')
           or (e.kind = 'attempt_finished' and e.data->>'flaggedReason' is not null))
    order by e.at, e.id`);
  const repos = window.repos ? new Set(window.repos) : null;
  const installations = repos ? await installationsOf(db, [...repos]) : null;
  const ofRepos = rows.filter((r) => repos === null || (r.repo !== null && repos.has(r.repo)));
  const policyEvent = (r: (typeof rows)[number], reason: string | null): PolicyEvent => ({
    repo: r.repo ?? "",
    issue: r.issue ?? 0,
    pr: typeof r.data.pr === "number" ? r.data.pr : r.pr,
    at: new Date(r.at).toISOString(),
    reason,
  });
  const text = (value: unknown) => (typeof value === "string" ? value : null);
  const number = (value: unknown) =>
    value === null || value === undefined || Number.isNaN(Number(value)) ? null : Number(value);
  // An event of a task belongs to its repo; one without a task, to its installation's repos.
  const budgetStops: BudgetStop[] = rows
    .filter((r) => r.kind === "budget_exhausted")
    .filter((r) =>
      r.repo !== null
        ? repos === null || repos.has(r.repo)
        : installations === null || installations.has(number(r.data.installationId)),
    )
    .map((r) => ({
      repo: r.repo,
      issue: r.issue,
      installationId: number(r.data.installationId),
      spentUsd: number(r.data.spentUsd),
      limitUsd: number(r.data.limitUsd),
      at: new Date(r.at).toISOString(),
    }));
  return {
    policy: {
      merged: ofRepos
        .filter((r) => r.kind === "merged")
        .map((r) => policyEvent(r, text(r.data.by) ? `by ${r.data.by}` : null)),
      flagged: ofRepos
        .filter((r) => r.kind === "flagged" || r.kind === "attempt_finished")
        .map((r) => policyEvent(r, text(r.data.reason) ?? text(r.data.flaggedReason))),
      reverted: ofRepos
        .filter((r) => r.kind === "reverted")
        .map((r) =>
          policyEvent(
            r,
            Array.isArray(r.data.failed) && r.data.failed.length
              ? `post-merge checks failed: ${r.data.failed.join(", ")}`
              : null,
          ),
        ),
    },
    adopted: ofRepos.filter((r) => r.kind === "adopted").length,
    budgetStops,
  };
}

async function installationsOf(db: DbOrTx, repos: string[]): Promise<Set<number | null>> {
  const { rows } = await db.execute<{ id: string }>(sql`
    select distinct installation_id::text as id from tasks
    where ${repoFilter(sql`repo_full_name`, repos)}`);
  return new Set(rows.map((r) => Number(r.id)));
}
