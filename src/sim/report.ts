import { type JournalEntry, startsByIssue } from "./journal.js";
import type { Scenario } from "./scenario.js";

export interface IssueReport {
  repo: string;
  number: number;
  dispatches: number;
  outcome: string;
  pr: { number: number; branch: string; closesIssue: boolean; files: string[] } | null;
  /** Fleet branches for this issue found on the remote: nothing may be pushed for a cancel. */
  pushedBranches: string[];
  comments: number;
  lastComment: string | null;
}

export interface SimulationReport {
  scenario: string;
  speed: number;
  wallTimeMs: number;
  issues: IssueReport[];
  totals: {
    issues: number;
    dispatches: number;
    duplicateDispatches: number;
    prsOpened: number;
    noChanges: number;
    failed: number;
    cancelled: number;
    refused: number;
  };
  githubApiCalls: { total: number; invalid: number; byRoute: Record<string, number> };
  webhooks: { delivered: number; failed: number };
}

/** What the report is computed from: the journal, the app's tables and the emulator's state. */
export interface ReportFacts {
  scenario: Scenario;
  speed: number;
  wallTimeMs: number;
  journal: readonly JournalEntry[];
  /** Latest task per issue key "owner/repo#n", with its state and PR number. */
  tasks: ReadonlyMap<string, { state: string; prNumber: number | null }>;
  /** Issue keys that have a `refused` event. */
  refused: ReadonlySet<string>;
  pulls: ReadonlyMap<string, { number: number; head: string; body: string; files: string[] }[]>;
  /** Branch names on each remote repo. */
  branches: ReadonlyMap<string, readonly string[]>;
  comments: ReadonlyMap<string, readonly string[]>;
  apiCalls: SimulationReport["githubApiCalls"];
  webhookStatuses: readonly number[];
}

export function buildReport(facts: ReportFacts): SimulationReport {
  const starts = startsByIssue(facts.journal);
  const issues = facts.scenario.issues.map((issue): IssueReport => {
    const key = `${issue.repo}#${issue.number}`;
    const task = facts.tasks.get(key);
    const outcome = task?.state ?? (facts.refused.has(key) ? "refused" : "ignored");
    const pull = task?.prNumber
      ? facts.pulls.get(issue.repo)?.find((p) => p.number === task.prNumber)
      : undefined;
    return {
      repo: issue.repo,
      number: issue.number,
      dispatches: starts.get(key)?.length ?? 0,
      outcome,
      pr: pull
        ? {
            number: pull.number,
            branch: pull.head,
            closesIssue: new RegExp(`\\bCloses #${issue.number}\\b`).test(pull.body),
            files: pull.files,
          }
        : null,
      pushedBranches: (facts.branches.get(issue.repo) ?? []).filter((b) =>
        b.startsWith(`fleet/${issue.number}-`),
      ),
      comments: facts.comments.get(key)?.length ?? 0,
      lastComment: facts.comments.get(key)?.at(-1)?.slice(0, 1000) ?? null,
    };
  });
  const count = (outcome: string) => issues.filter((i) => i.outcome === outcome).length;
  return {
    scenario: facts.scenario.name,
    speed: facts.speed,
    wallTimeMs: Math.round(facts.wallTimeMs),
    issues,
    totals: {
      issues: issues.length,
      dispatches: issues.reduce((sum, i) => sum + i.dispatches, 0),
      // Version 1: any agent start after an issue's first is a duplicate (there are no retries yet).
      duplicateDispatches: issues.reduce((sum, i) => sum + Math.max(0, i.dispatches - 1), 0),
      prsOpened: issues.filter((i) => i.pr).length,
      noChanges: count("no_changes"),
      failed: count("failed"),
      cancelled: count("cancelled"),
      refused: count("refused"),
    },
    githubApiCalls: facts.apiCalls,
    webhooks: {
      delivered: facts.webhookStatuses.filter((s) => s >= 200 && s < 300).length,
      failed: facts.webhookStatuses.filter((s) => s < 200 || s >= 300).length,
    },
  };
}

/** A short human-readable rendering of the report for the terminal. */
export function formatReport(report: SimulationReport): string {
  const rows = report.issues.map(
    (i) =>
      `  ${`${i.repo}#${i.number}`.padEnd(24)} ${i.outcome.padEnd(11)} dispatches=${i.dispatches}${
        i.pr ? ` pr=#${i.pr.number} ${i.pr.branch}${i.pr.closesIssue ? "" : " (no Closes)"}` : ""
      }`,
  );
  const t = report.totals;
  return [
    `scenario ${report.scenario} (speed ${report.speed}, ${(report.wallTimeMs / 1000).toFixed(1)}s)`,
    ...rows,
    `totals: issues=${t.issues} dispatches=${t.dispatches} duplicates=${t.duplicateDispatches} prs=${t.prsOpened} no_changes=${t.noChanges} failed=${t.failed} cancelled=${t.cancelled} refused=${t.refused}`,
    `github api calls: ${report.githubApiCalls.total} (invalid ${report.githubApiCalls.invalid})`,
    `webhooks: ${report.webhooks.delivered} delivered, ${report.webhooks.failed} failed`,
  ].join("\n");
}
