import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import type { IssueReport, SimulationReport } from "../../src/sim/report.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

let report: SimulationReport;

function issue(repo: string, number: number): IssueReport {
  const found = report.issues.find((i) => i.repo === repo && i.number === number);
  if (!found) throw new Error(`no report for ${repo}#${number}`);
  return found;
}

// One real `fleet simulate` process: emulator, embedded PostgreSQL, app, runner, agents.
beforeAll(async () => {
  const run = await execa(
    process.execPath,
    ["bin/fleet.js", "simulate", "examples/scenarios/basics.yml", "--json"],
    { cwd: ROOT, env: { LOG_LEVEL: "warn" }, timeout: 240_000, reject: false },
  );
  if (run.exitCode !== 0)
    throw new Error(`fleet simulate failed (${run.exitCode}):\n${run.stderr}`);
  report = JSON.parse(run.stdout) as SimulationReport;
}, 300_000);

describe("fleet simulate examples/scenarios/basics.yml", () => {
  it("dispatches each accepted issue exactly once and never twice", () => {
    expect(report.scenario).toBe("basics");
    expect(report.totals).toMatchObject({
      issues: 8,
      duplicateDispatches: 0,
      prsOpened: 3,
      noChanges: 1,
      failed: 1,
      cancelled: 2,
      refused: 1,
    });
    for (const i of report.issues)
      expect(i.dispatches, `${i.repo}#${i.number}`).toBeLessThanOrEqual(1);
  });

  it("opens a PR that closes the issue and carries both committed and uncommitted work", () => {
    const fixed = issue("acme/api", 1);
    expect(fixed.outcome).toBe("verified");
    expect(fixed.dispatches).toBe(1);
    expect(fixed.pr).toMatchObject({ branch: "fleet/1-fix-the-readme-title", closesIssue: true });
    expect(fixed.pr?.files).toEqual(["README.md", "src/index.js"]);
    expect(fixed.lastComment).toContain(`/pull/${fixed.pr?.number}`);
  });

  it("survives redelivery and a double label with a single dispatch", () => {
    expect(issue("acme/api", 1).dispatches).toBe(1);
    const doubled = issue("acme/api", 2);
    expect(doubled).toMatchObject({ outcome: "verified", dispatches: 1 });
    expect(doubled.pr?.branch).toBe("fleet/2-add-a-changelog-please");
  });

  it("reports an agent that changed nothing without opening a PR", () => {
    const noop = issue("acme/api", 3);
    expect(noop).toMatchObject({
      outcome: "no_changes",
      dispatches: 1,
      pr: null,
      pushedBranches: [],
    });
    expect(noop.lastComment).toContain("without changing anything");
  });

  it("comments a failed agent's stderr tail with secrets redacted", () => {
    const failed = issue("acme/api", 4);
    expect(failed).toMatchObject({ outcome: "failed", dispatches: 1, pr: null });
    expect(failed.lastComment).toContain("exited with code 1");
    expect(failed.lastComment).toContain("scripted failure for acme/api#4");
    expect(failed.lastComment).toContain("[redacted]");
    expect(failed.lastComment).not.toMatch(/ghs_x{10}/);
  });

  it("refuses a read-only labeler with a comment and dispatches nothing", () => {
    const refused = issue("acme/api", 5);
    expect(refused).toMatchObject({ outcome: "refused", dispatches: 0, pr: null, comments: 1 });
    expect(refused.lastComment).toContain("@mallory");
  });

  it("stops a running agent on unlabel or close and pushes nothing", () => {
    for (const [repo, number] of [
      ["acme/jobs", 1],
      ["acme/web", 1],
    ] as const) {
      const withdrawn = issue(repo, number);
      expect(withdrawn, `${repo}#${number}`).toMatchObject({
        outcome: "cancelled",
        pr: null,
        pushedBranches: [],
      });
    }
    // The close came six seconds in, while the agent was running: it was stopped.
    expect(issue("acme/web", 1).dispatches).toBe(1);
  });

  it("honours a repo's own trigger label and ignores the default one there", () => {
    const custom = issue("acme/web", 2);
    expect(custom).toMatchObject({ outcome: "verified", dispatches: 1 });
    expect(custom.pr?.files).toEqual(["public/favicon.svg"]);
  });

  it("settles with no agent left running, none killed wrongly and no worktree left behind", () => {
    expect(report.settled).toBe(true);
    expect(report.totals.killedHealthy).toBe(0);
    expect(report.orphanProcesses).toBe(0);
    expect(report.leakedWorktrees).toBe(0);
  });

  it("talks to GitHub only through valid API calls, and every webhook is accepted", () => {
    expect(report.githubApiCalls.invalid).toBe(0);
    expect(report.githubApiCalls.byRoute["POST /repos/{owner}/{repo}/pulls"]).toBe(3);
    expect(report.webhooks.failed).toBe(0);
    expect(report.webhooks.delivered).toBeGreaterThan(0);
  });
});
