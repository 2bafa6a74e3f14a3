import { sql } from "drizzle-orm";
import { fleetConfigSchema, type ReportConfig } from "../config/fleet-config.js";
import type { DbOrTx } from "../db/client.js";

const DAY_MS = 86_400_000;

/**
 * One repository the daily report run writes to, and what goes there: the report of every repo
 * whose `report.post` names it, and the new failure causes of the repos with
 * `report.fileIssues` (filed in their `report.post` repo, or in the repo itself without one).
 */
export interface ReportTarget {
  target: string;
  /** Repos whose morning report is posted here, in one issue. */
  postRepos: string[];
  /** Repos whose new infrastructure failure causes are filed here. */
  fileRepos: string[];
  /** The earliest `report.at` among them, "HH:MM" UTC. */
  at: string;
  /** The longest `report.window` among them, configured ms. */
  windowMs: number;
}

const reportSchema = fleetConfigSchema.shape.report;

/** The report settings of each repo, from its newest task's config snapshot. */
export async function repoReportConfigs(
  db: DbOrTx,
): Promise<Array<{ repo: string; report: ReportConfig }>> {
  const { rows } = await db.execute<{ repo: string; report: unknown }>(sql`
    select distinct on (repo_full_name) repo_full_name as repo, config->'report' as report
    from tasks order by repo_full_name, id desc`);
  return rows.flatMap((r) => {
    // A snapshot from before the report keys parses to the defaults; a broken one is skipped.
    const parsed = reportSchema.safeParse(r.report ?? undefined);
    return parsed.success ? [{ repo: r.repo, report: parsed.data }] : [];
  });
}

/** Groups the repos by where their report and their failure issues go. */
export function groupReportTargets(
  configs: ReadonlyArray<{ repo: string; report: ReportConfig }>,
): ReportTarget[] {
  const targets = new Map<string, ReportTarget>();
  for (const { repo, report } of configs) {
    if (!report.post && !report.fileIssues) continue;
    const name = report.post ?? repo;
    const target = targets.get(name) ?? {
      target: name,
      postRepos: [],
      fileRepos: [],
      at: report.at,
      windowMs: report.window,
    };
    if (report.post) target.postRepos.push(repo);
    if (report.fileIssues) target.fileRepos.push(repo);
    if (report.at < target.at) target.at = report.at;
    target.windowMs = Math.max(target.windowMs, report.window);
    targets.set(name, target);
  }
  return [...targets.values()].sort((a, b) => a.target.localeCompare(b.target));
}

/** Today's `at` (UTC) in epoch ms, for the day `nowMs` falls in. */
export function todaysSlot(at: string, nowMs: number): number {
  const [hours, minutes] = at.split(":").map(Number);
  const midnight = Math.floor(nowMs / DAY_MS) * DAY_MS;
  return midnight + ((hours ?? 0) * 60 + (minutes ?? 0)) * 60_000;
}

/** The latest `at` (UTC) at or before `nowMs`: the run each target owes. */
export function latestSlot(at: string, nowMs: number): number {
  const today = todaysSlot(at, nowMs);
  return today <= nowMs ? today : today - DAY_MS;
}

/** The first `at` (UTC) after `nowMs`. */
export function nextSlot(at: string, nowMs: number): number {
  return latestSlot(at, nowMs) + DAY_MS;
}
