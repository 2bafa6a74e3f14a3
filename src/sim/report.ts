import {
  type AgentLife,
  agentLives,
  duplicateStarts,
  killedHealthy,
  type RunnerOutage,
} from "./agent-lives.js";
import type { FaultStats } from "./emulator/faults.js";
import type { IdlePeriod } from "./idle.js";
import type { JournalEntry } from "./journal.js";
import type { Scenario } from "./scenario.js";

/**
 * Durations in the report are simulated milliseconds (real ms × speed), so a replayed night reads
 * like the night; only `wallTimeMs` is real time.
 */
export interface AttemptReport {
  number: number;
  /** Simulated ms since the timeline began. */
  startedAt: number;
  outcome: string | null;
  /** Simulated ms from claim to end; null while unfinished. */
  runtimeMs: number | null;
  runner: string;
  exitCode: number | null;
  signal: string | null;
}

/** One agent process of an issue, from the journal (and the witness for its death). */
export interface AgentReport {
  attempt: number;
  /** Simulated ms since the timeline began. */
  startedAt: number;
  behavior: string;
  /** Simulated ms from its start to its death (or to the end, while alive). */
  runtimeMs: number;
  end: AgentLife["end"];
  code: number | null;
  /** Simulated ms it lived on after ignoring a SIGTERM: the kill grace before the SIGKILL. */
  survivedSigtermMs: number | null;
}

export interface IssueReport {
  repo: string;
  number: number;
  dispatches: number;
  outcome: string;
  pr: { number: number; branch: string; closesIssue: boolean; files: string[] } | null;
  /** The check runs on the PR's head by name: their conclusion, or their status while open. */
  checks: Record<string, string>;
  /** The merge policy's last decision on the PR, and the PR's size label. */
  decision: string | null;
  sizeLabel: string | null;
  merged: boolean;
  /** Simulated ms since the timeline began (GitHub's timestamps have whole seconds). */
  mergedAt: number | null;
  /** Its merge failed post-merge CI and was reverted. */
  reverted: boolean;
  /** Why humans were asked to look, when they were. */
  flaggedReason: string | null;
  /** Fleet branches for this issue found on the remote: nothing may be pushed for a cancel. */
  pushedBranches: string[];
  comments: number;
  lastComment: string | null;
  labels: string[];
  attempts: AttemptReport[];
  agents: AgentReport[];
}

export interface SimulationReport {
  scenario: string;
  speed: number;
  wallTimeMs: number;
  /** False when the fleet was still working at the settle deadline. */
  settled: boolean;
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
    stalled: number;
    timedOut: number;
    crashed: number;
    lost: number;
    adopted: number;
    killedHealthy: number;
    merged: number;
    flagged: number;
    reverted: number;
    /** Repos still paused at the end (a red default branch waits for `/fleet resume`). */
    paused: number;
  };
  /**
   * Commits on a default branch whose post-merge CI failed and which no later commit reverts.
   * Must be 0: a red build is never left standing.
   */
  badCommitsOnDefault: number;
  /** Issues the fleet opened itself (the "agent-fleet configuration error" issue). */
  fleetIssues: FleetIssue[];
  /** When repos were paused and resumed, simulated ms since the timeline began. */
  pauses: Array<{ repo: string; from: number; to: number | null }>;
  /** The longest life of one agent process, in simulated ms. */
  maxAttemptRuntimeMs: number;
  /** Scripted agents still alive when the simulation ended. */
  orphanProcesses: number;
  /**
   * Worktree folders left in the data dirs of the runners up at the end, or registered in their
   * mirrors (a runner killed for good is a dead host: its disk is gone with it).
   */
  leakedWorktrees: number;
  idle: IdlePeriod[];
  /** Runner kills and returns, simulated ms since the timeline began (backAt null: never). */
  runnerOutages: RunnerOutage[];
  githubApiCalls: { total: number; invalid: number; byRoute: Record<string, number> };
  webhooks: { delivered: number; failed: number };
  /**
   * Faults the emulator injected (scenario `faults`), and how many dropped webhooks no attempt
   * ever brought to the app (the missed-delivery sweep should leave none).
   */
  faults: SimulationFaults;
  /** The agent processes behind the counts that must stay 0, for reading a failure. */
  anomalies: {
    duplicates: AgentRef[];
    killedHealthy: AgentRef[];
    orphans: AgentRef[];
  };
}

export type SimulationFaults = FaultStats & { webhooksUnrecovered: number };

export interface FleetIssue {
  repo: string;
  number: number;
  title: string;
  state: "open" | "closed";
}

export interface AgentRef {
  key: string;
  pid: number;
  attempt: number;
  behavior: string;
}

export interface AttemptFact {
  number: number;
  outcome: string | null;
  runnerId: string;
  pid: number | null;
  exitCode: number | null;
  signal: string | null;
  startedAt: number;
  endedAt: number | null;
}

/**
 * The attempt that ran an agent whose wrapper pid never reached the database (its runner was
 * killed between spawning the wrapper and recording it): the one attempt of the issue without
 * a pid that was live when the agent started.
 */
function unrecordedAttemptOf(
  life: { startedAt: number },
  attempts: readonly AttemptFact[],
): AttemptFact | undefined {
  const live = attempts.filter(
    (a) =>
      a.pid === null &&
      a.startedAt <= life.startedAt &&
      (a.endedAt === null || a.endedAt >= life.startedAt),
  );
  return live.length === 1 ? live[0] : undefined;
}

/** What the report is computed from: the journal, the app's tables and the emulator's state. */
export interface ReportFacts {
  scenario: Scenario;
  speed: number;
  wallTimeMs: number;
  settled: boolean;
  journal: readonly JournalEntry[];
  /** Deaths the witness saw, pid -> real ms. */
  deaths: ReadonlyMap<number, number>;
  /** Whether a journal agent still runs (pid and start time checked in /proc). */
  isAlive: (agent: { pid: number; startTime?: string | undefined }) => boolean;
  /** Real ms when the timeline began, and when the simulation stopped watching. */
  timelineStart: number;
  endedAt: number;
  /** Latest issue task per issue key "owner/repo#n" (revert tasks aside). */
  tasks: ReadonlyMap<
    string,
    {
      state: string;
      prNumber: number | null;
      decision: string | null;
      flaggedReason: string | null;
    }
  >;
  pausedRepos: number;
  /** Each pause of a repo, real epoch ms (to: null while still paused). */
  pauses: ReadonlyArray<{ repo: string; from: number; to: number | null }>;
  badCommitsOnDefault: number;
  fleetIssues: FleetIssue[];
  /** Every attempt per issue key, oldest first. */
  attempts: ReadonlyMap<string, readonly AttemptFact[]>;
  /** When the merge policy asked for more agent work on a PR (fix, conflict), per issue key. */
  followUps: ReadonlyMap<string, readonly number[]>;
  /** How many `adopted` events the runners wrote. */
  adopted: number;
  /** Issue keys that have a `refused` event. */
  refused: ReadonlySet<string>;
  /** Real time of the first unlabel or close per issue key. */
  cancelledAt: ReadonlyMap<string, number>;
  outages: readonly RunnerOutage[];
  leaseTtlMs: number;
  pulls: ReadonlyMap<
    string,
    {
      number: number;
      head: string;
      body: string;
      files: string[];
      merged: boolean;
      mergedAt: string | null;
      labels: string[];
      checks: Record<string, string>;
    }[]
  >;
  /** Branch names on each remote repo. */
  branches: ReadonlyMap<string, readonly string[]>;
  comments: ReadonlyMap<string, readonly string[]>;
  labels: ReadonlyMap<string, readonly string[]>;
  leakedWorktrees: number;
  idle: IdlePeriod[];
  apiCalls: SimulationReport["githubApiCalls"];
  /** Absent: no faults were injected. */
  faults?: SimulationFaults;
  webhookStatuses: readonly number[];
}

const SUCCESS = new Set(["succeeded", "no_changes"]);

const NO_FAULTS: SimulationFaults = {
  api: { "500": 0, "502": 0, "secondary-rate-limit": 0, "429": 0, timeout: 0 },
  webhooksDropped: 0,
  webhooksDelayed: 0,
  webhooksUnrecovered: 0,
};

export function buildReport(facts: ReportFacts): SimulationReport {
  const lives = agentLives(facts);
  const simulated = (realMs: number) => Math.round(realMs * facts.speed);
  const sinceStart = (realAt: number) => simulated(realAt - facts.timelineStart);

  const successes = new Map<string, number[]>();
  for (const [key, attempts] of facts.attempts) {
    successes.set(
      key,
      attempts
        .filter((a) => a.outcome !== null && SUCCESS.has(a.outcome) && a.endedAt !== null)
        .map((a) => a.endedAt as number),
    );
  }
  const duplicates = duplicateStarts(lives, successes, facts.followUps);
  const attemptByWrapper = new Map<number, AttemptFact>();
  for (const attempts of facts.attempts.values()) {
    for (const a of attempts) if (a.pid !== null) attemptByWrapper.set(a.pid, a);
  }
  const killed = killedHealthy({
    lives,
    cancelledAt: facts.cancelledAt,
    attemptOf: (life) =>
      (life.ppid === undefined ? undefined : attemptByWrapper.get(life.ppid)) ??
      unrecordedAttemptOf(life, facts.attempts.get(life.key) ?? []),
    outages: facts.outages,
    leaseTtlRealMs: facts.leaseTtlMs / facts.speed,
  });
  const orphans = lives.filter((life) => life.diedAt === null);

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
      dispatches: lives.filter((l) => l.key === key).length,
      outcome,
      pr: pull
        ? {
            number: pull.number,
            branch: pull.head,
            closesIssue: new RegExp(`\\bCloses #${issue.number}\\b`).test(pull.body),
            files: pull.files,
          }
        : null,
      checks: pull?.checks ?? {},
      decision: task?.decision ?? null,
      sizeLabel: pull?.labels.find((l) => l.startsWith("size/")) ?? null,
      merged: pull?.merged ?? false,
      mergedAt: pull?.mergedAt ? sinceStart(Date.parse(pull.mergedAt)) : null,
      reverted: task?.state === "reverted",
      flaggedReason: task?.flaggedReason ?? null,
      pushedBranches: (facts.branches.get(issue.repo) ?? []).filter((b) =>
        b.startsWith(`fleet/${issue.number}-`),
      ),
      comments: facts.comments.get(key)?.length ?? 0,
      lastComment: facts.comments.get(key)?.at(-1)?.slice(0, 2000) ?? null,
      labels: [...(facts.labels.get(key) ?? [])],
      attempts: (facts.attempts.get(key) ?? []).map((a) => ({
        number: a.number,
        startedAt: sinceStart(a.startedAt),
        outcome: a.outcome,
        runtimeMs: a.endedAt === null ? null : simulated(a.endedAt - a.startedAt),
        runner: a.runnerId,
        exitCode: a.exitCode,
        signal: a.signal,
      })),
      agents: lives
        .filter((l) => l.key === key)
        .map((l) => ({
          attempt: l.attempt,
          startedAt: sinceStart(l.startedAt),
          behavior: l.behavior,
          runtimeMs: simulated((l.diedAt ?? facts.endedAt) - l.startedAt),
          end: l.end,
          code: l.code,
          survivedSigtermMs:
            l.sigtermIgnoredAt === null
              ? null
              : simulated((l.diedAt ?? facts.endedAt) - l.sigtermIgnoredAt),
        })),
    };
  });
  const count = (outcome: string) => issues.filter((i) => i.outcome === outcome).length;
  const attemptCount = (outcome: string) =>
    issues.reduce((sum, i) => sum + i.attempts.filter((a) => a.outcome === outcome).length, 0);
  return {
    scenario: facts.scenario.name,
    speed: facts.speed,
    wallTimeMs: Math.round(facts.wallTimeMs),
    settled: facts.settled,
    issues,
    totals: {
      issues: issues.length,
      dispatches: lives.length,
      duplicateDispatches: duplicates.length,
      prsOpened: issues.filter((i) => i.pr).length,
      noChanges: count("no_changes"),
      failed: count("failed"),
      cancelled: count("cancelled"),
      refused: count("refused"),
      stalled: attemptCount("stalled"),
      timedOut: attemptCount("timed_out"),
      crashed: attemptCount("crashed"),
      lost: attemptCount("lost"),
      adopted: facts.adopted,
      killedHealthy: killed.length,
      merged: issues.filter((i) => i.merged).length,
      flagged: issues.filter((i) => i.flaggedReason !== null).length,
      reverted: issues.filter((i) => i.reverted).length,
      paused: facts.pausedRepos,
    },
    badCommitsOnDefault: facts.badCommitsOnDefault,
    fleetIssues: facts.fleetIssues,
    pauses: facts.pauses.map((p) => ({
      repo: p.repo,
      from: sinceStart(p.from),
      to: p.to === null ? null : sinceStart(p.to),
    })),
    maxAttemptRuntimeMs: Math.max(
      0,
      ...lives.map((l) => simulated((l.diedAt ?? facts.endedAt) - l.startedAt)),
    ),
    orphanProcesses: orphans.length,
    leakedWorktrees: facts.leakedWorktrees,
    idle: facts.idle,
    runnerOutages: facts.outages.map((o) => ({
      runner: o.runner,
      killedAt: sinceStart(o.killedAt),
      backAt: o.backAt === null ? null : sinceStart(o.backAt),
    })),
    githubApiCalls: facts.apiCalls,
    webhooks: {
      delivered: facts.webhookStatuses.filter((s) => s >= 200 && s < 300).length,
      failed: facts.webhookStatuses.filter((s) => s < 200 || s >= 300).length,
    },
    faults: facts.faults ?? NO_FAULTS,
    anomalies: {
      duplicates: duplicates.map(ref),
      killedHealthy: killed.map(ref),
      orphans: orphans.map(ref),
    },
  };
}

function ref(life: AgentLife): AgentRef {
  return { key: life.key, pid: life.pid, attempt: life.attempt, behavior: life.behavior };
}

/** A short human-readable rendering of the report for the terminal. */
export function formatReport(report: SimulationReport): string {
  const rows = report.issues.map((i) => {
    const attempts = i.attempts.map((a) => a.outcome ?? "running").join(",");
    const policy = [
      i.decision ? `decision=${i.decision}` : "",
      i.sizeLabel ?? "",
      i.merged ? "merged" : "",
      i.reverted ? "reverted" : "",
      i.flaggedReason ? `flagged: ${i.flaggedReason}` : "",
    ].filter(Boolean);
    return `  ${`${i.repo}#${i.number}`.padEnd(24)} ${i.outcome.padEnd(11)} dispatches=${i.dispatches}${
      attempts ? ` attempts=${attempts}` : ""
    }${i.pr ? ` pr=#${i.pr.number} ${i.pr.branch}${i.pr.closesIssue ? "" : " (no Closes)"}` : ""}${
      policy.length ? ` ${policy.join(" ")}` : ""
    }`;
  });
  const t = report.totals;
  const idle = report.idle.map(
    (p) =>
      `quiet ${formatMinutes(p.from)}-${formatMinutes(p.to)}: github api calls=${p.githubApiCalls} (+${p.redeliverySweepCalls} redelivery sweep) claim queries=${p.claimQueries} wakeups=${p.wakeups}`,
  );
  const f = report.faults;
  const apiFaults = Object.entries(f.api).filter(([, n]) => n > 0);
  const faults =
    apiFaults.length || f.webhooksDropped || f.webhooksDelayed
      ? [
          `faults: api ${apiFaults.map(([kind, n]) => `${kind}=${n}`).join(" ") || "none"}; webhooks dropped=${f.webhooksDropped} (unrecovered ${f.webhooksUnrecovered}) delayed=${f.webhooksDelayed}`,
        ]
      : [];
  return [
    `scenario ${report.scenario} (speed ${report.speed}, ${(report.wallTimeMs / 1000).toFixed(1)}s${
      report.settled ? "" : ", NOT SETTLED"
    })`,
    ...rows,
    `totals: issues=${t.issues} dispatches=${t.dispatches} duplicates=${t.duplicateDispatches} prs=${t.prsOpened} no_changes=${t.noChanges} failed=${t.failed} cancelled=${t.cancelled} refused=${t.refused}`,
    `merge policy: merged=${t.merged} flagged=${t.flagged} reverted=${t.reverted} paused=${t.paused} bad_commits_on_default=${report.badCommitsOnDefault}`,
    `attempts: stalled=${t.stalled} timed_out=${t.timedOut} crashed=${t.crashed} lost=${t.lost} adopted=${t.adopted} killed_healthy=${t.killedHealthy}`,
    `longest agent run ${formatMinutes(report.maxAttemptRuntimeMs)}; orphan processes ${report.orphanProcesses}; leaked worktrees ${report.leakedWorktrees}`,
    ...idle,
    `github api calls: ${report.githubApiCalls.total} (invalid ${report.githubApiCalls.invalid})`,
    `webhooks: ${report.webhooks.delivered} delivered, ${report.webhooks.failed} failed`,
    ...faults,
  ].join("\n");
}

function formatMinutes(ms: number): string {
  return `${(ms / 60_000).toFixed(1)}m`;
}
