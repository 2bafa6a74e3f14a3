import { describe, expect, it } from "vitest";
import { checkInvariants, EXPLAINED_STATES } from "../../src/sim/chaos/invariants.js";
import type { IssueReport, SimulationReport } from "../../src/sim/report.js";
import { parseScenario } from "../../src/sim/scenario.js";
import { INVARIANT_NAMES } from "./invariant-names.js";

const scenario = parseScenario(`
name: t
repos:
  - slug: acme/api
    collaborators: { alice: write, tina: triage }
  - slug: acme/ops
    fleetConfig: "trigger: { label: go }"
    collaborators: { bob: maintain }
issues:
  - { repo: acme/api, number: 1, title: One, labels: [{ name: agent-ready, by: alice }] }
  - { repo: acme/api, number: 2, title: Two, labels: [{ name: agent-ready, by: tina }] }
  - { repo: acme/ops, number: 1, title: Three, labels: [{ name: go, by: bob }] }
`);

function issue(repo: string, number: number, outcome: string, more: Partial<IssueReport> = {}) {
  return {
    repo,
    number,
    dispatches: 1,
    outcome,
    pr: null,
    checks: {},
    decision: null,
    sizeLabel: null,
    merged: false,
    mergedAt: null,
    reverted: false,
    flaggedReason: null,
    pushedBranches: [],
    comments: 0,
    lastComment: null,
    labels: [],
    attempts: [],
    agents: [],
    ...more,
  } satisfies IssueReport;
}

function report(over: Partial<SimulationReport> = {}): SimulationReport {
  return {
    scenario: "t",
    speed: 60,
    wallTimeMs: 1,
    settled: true,
    issues: [
      issue("acme/api", 1, "verified"),
      issue("acme/api", 2, "refused"),
      issue("acme/ops", 1, "no_changes"),
    ],
    totals: {} as SimulationReport["totals"],
    badCommitsOnDefault: 0,
    fleetIssues: [],
    pauses: [],
    maxAttemptRuntimeMs: 0,
    orphanProcesses: 0,
    leakedWorktrees: 0,
    idle: [],
    runnerOutages: [],
    githubApiCalls: { total: 0, invalid: 0, byRoute: {} },
    webhooks: { delivered: 0, failed: 0 },
    faults: {
      api: { "500": 0, "502": 0, "secondary-rate-limit": 0, "429": 0, timeout: 0 },
      webhooksDropped: 0,
      webhooksDelayed: 0,
      webhooksUnrecovered: 0,
    },
    anomalies: { duplicates: [], killedHealthy: [], orphans: [] },
    ...over,
  };
}

const broken = (
  r: SimulationReport,
  leftovers = [] as Parameters<typeof checkInvariants>[0]["leftovers"],
  crashes: string[] = [],
) =>
  checkInvariants({ scenario, report: r, leftovers, crashes })
    .filter((i) => !i.ok)
    .map((i) => [i.name, i.details]);

const agent = { key: "acme/api#1", pid: 42, attempt: 2, behavior: "succeed" };

describe("the chaos invariants", () => {
  it("all hold for a night where every task ended and nothing was left behind", () => {
    const results = checkInvariants({ scenario, report: report(), leftovers: [], crashes: [] });
    expect(results.map((r) => r.name)).toEqual([...INVARIANT_NAMES]);
    expect(results.every((r) => r.ok)).toBe(true);
  });

  it("finds a writer's label that never became a task, under the repo's own trigger label", () => {
    const r = report({
      issues: [
        issue("acme/api", 1, "ignored"),
        issue("acme/api", 2, "refused"),
        issue("acme/ops", 1, "refused"),
      ],
    });
    expect(broken(r)).toEqual([
      [
        "no task lost",
        [
          "acme/api#1: labeled by a writer, but no task (ignored)",
          "acme/ops#1: labeled by a writer, but no task (refused)",
        ],
      ],
    ]);
  });

  it("accepts the explained states, and only with their explanation", () => {
    const explained = report({
      issues: [
        issue("acme/api", 1, "pr_open", { flaggedReason: "checks pending for 2h" }),
        issue("acme/api", 2, "refused"),
        issue("acme/ops", 1, "queued"),
      ],
      pauses: [{ repo: "acme/ops", from: 1, to: null }],
    });
    expect(broken(explained)).toEqual([]);
    const unexplained = report({
      issues: [
        issue("acme/api", 1, "pr_open", { decision: "waiting" }),
        issue("acme/api", 2, "refused"),
        issue("acme/ops", 1, "queued"),
      ],
      pauses: [{ repo: "acme/ops", from: 1, to: 2 }],
    });
    expect(broken(unexplained)).toEqual([
      [
        "no task lost",
        [
          "acme/api#1: left pr_open, decision waiting, neither terminal nor explained",
          "acme/ops#1: left queued, neither terminal nor explained",
        ],
      ],
    ]);
    expect(Object.keys(EXPLAINED_STATES).sort()).toEqual(
      ["failed", "needs_review", "pr_open", "queued", "retry_wait"].sort(),
    );
  });

  it("counts an unsettled fleet and an unrecovered dropped webhook as lost work", () => {
    const r = report({ settled: false });
    r.faults.webhooksUnrecovered = 2;
    expect(broken(r)).toEqual([
      [
        "no task lost",
        [
          "the fleet was still working at the settle deadline",
          "2 dropped webhook(s) never redelivered",
        ],
      ],
    ]);
  });

  it("names the agents behind duplicates, kills and orphans, and the processes left over", () => {
    const r = report({
      anomalies: { duplicates: [agent], killedHealthy: [agent], orphans: [agent] },
      leakedWorktrees: 1,
      badCommitsOnDefault: 2,
      githubApiCalls: { total: 9, invalid: 3, byRoute: {} },
    });
    const crash = "runner b exited by itself (code 1, signal null)";
    expect(broken(r, [{ role: "runner", pid: 7 }], [crash])).toEqual([
      ["no duplicate dispatch", ["acme/api#1 attempt 2 (succeed, pid 42)"]],
      ["no healthy agent killed", ["acme/api#1 attempt 2 (succeed, pid 42)"]],
      [
        "no orphan process",
        [
          "agent acme/api#1 attempt 2 (succeed, pid 42) alive after the fleet stopped",
          "runner pid 7 outlived the simulation",
        ],
      ],
      ["no leaked worktree", ["1 worktree(s) left behind"]],
      ["no bad commit on a default branch", ["2 commit(s) with red post-merge CI and no revert"]],
      ["no fleet process crashed", [crash]],
      ["no invalid GitHub API call", ["3 call(s) GitHub's description does not allow"]],
    ]);
  });
});
