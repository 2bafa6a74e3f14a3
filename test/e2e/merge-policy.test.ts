import { beforeAll, describe, expect, it } from "vitest";
import type { SimulationReport } from "../../src/sim/report.js";
import { brief, issueOf, runScenario } from "./run-scenario.js";

let report: SimulationReport;

beforeAll(async () => {
  report = await runScenario("merge-policy");
}, 240_000);

const app = (n: number) => issueOf(report, "acme/app", n);

describe("the merge policy end to end (scenarios/merge-policy.yml)", () => {
  it("settles with nothing duplicated, invalid, leaked or left red on a default branch", () => {
    expect(report.settled, brief(report)).toBe(true);
    expect(report.totals.duplicateDispatches, brief(report)).toBe(0);
    expect(report.githubApiCalls.invalid).toBe(0);
    expect(report.webhooks.failed).toBe(0);
    expect(report.orphanProcesses).toBe(0);
    expect(report.leakedWorktrees).toBe(0);
    expect(report.badCommitsOnDefault).toBe(0);
  });

  it("auto-merges a small PR with green checks, and verifies it after the merge", () => {
    expect(app(1), brief(report)).toMatchObject({
      outcome: "verified",
      decision: "mergeable",
      sizeLabel: "size/XS",
      merged: true,
      flaggedReason: null,
    });
    expect(app(1).checks).toEqual({ ci: "success", "fleet/policy": "success" });
  });

  it("holds a 400-line PR for review, then merges it once a writer approves", () => {
    expect(app(2), brief(report)).toMatchObject({
      outcome: "verified",
      sizeLabel: "size/L",
      merged: true,
    });
    // Its checks were green long before the approval at 25m, as #1's merge shows: only the
    // approval merged it (timestamps are whole seconds, a simulated minute at this speed).
    expect(app(1).mergedAt).toBeLessThan(24 * 60_000);
    expect(app(2).mergedAt).toBeGreaterThanOrEqual(24 * 60_000);
  });

  it("holds a PR touching .github/ for review, and checks the fleet.yml it changes", () => {
    expect(app(3), brief(report)).toMatchObject({
      outcome: "needs_review",
      decision: "needs_review",
      merged: false,
    });
    expect(app(3).checks).toEqual({
      ci: "success",
      "fleet/policy": "action_required",
      "fleet/config": "failure",
    });
  });

  it("blocks a 2000-line PR with a reason, and never merges it", () => {
    expect(app(4), brief(report)).toMatchObject({
      outcome: "needs_review",
      decision: "blocked",
      sizeLabel: "size/XXL",
      merged: false,
    });
    expect(app(4).flaggedReason).toMatch(/2000 changed lines is above the ceiling of 1000/);
    expect(app(4).checks["fleet/policy"]).toBe("failure");
  });

  it("fixes a red CI with a second agent attempt on the same PR, then merges", () => {
    const fixed = app(5);
    expect(fixed, brief(report)).toMatchObject({ outcome: "verified", merged: true });
    expect(fixed.attempts.map((a) => a.outcome)).toEqual(["succeeded", "succeeded"]);
    expect(fixed.dispatches).toBe(2);
  });

  it("resolves a conflict with a PR merged first on the PR's own branch, then merges", () => {
    expect(app(6), brief(report)).toMatchObject({ outcome: "verified", merged: true });
    const late = app(7);
    expect(late, brief(report)).toMatchObject({ outcome: "verified", merged: true, dispatches: 2 });
    // The runner's rebase met the conflict; an agent resolved it on the same PR.
    expect(late.attempts.map((a) => a.outcome)).toEqual(["succeeded", "succeeded"]);
    expect(late.mergedAt).toBeGreaterThan(app(6).mergedAt ?? Number.POSITIVE_INFINITY);
  });

  it("reverts a merge whose default-branch CI went red, pauses the repo, and resumes", () => {
    const broke = issueOf(report, "acme/ops", 1);
    expect(broke, brief(report)).toMatchObject({ outcome: "reverted", merged: true });
    expect(broke.comments).toBeGreaterThanOrEqual(2);
    // One pause, from the red build until `/fleet resume` at 55m.
    const [pause, ...more] = report.pauses;
    expect(more, brief(report)).toEqual([]);
    expect(pause?.repo).toBe("acme/ops");
    expect(pause?.to).toBeGreaterThanOrEqual(55 * 60_000);
    // Labeled at 45m, while the repo was paused: it waited for the resume, then went through.
    expect(pause?.from).toBeLessThan(45 * 60_000);
    const queued = issueOf(report, "acme/ops", 2);
    expect(queued).toMatchObject({ outcome: "verified", merged: true });
    expect(queued.attempts[0]?.startedAt).toBeGreaterThanOrEqual(pause?.to ?? 0);
    expect(report.totals).toMatchObject({ reverted: 1, paused: 0 });
  });

  it("reports a broken fleet.yml in one issue, closes it when fixed, and dispatches then", () => {
    const broken = issueOf(report, "acme/broken", 1);
    expect(report.fleetIssues.filter((i) => i.title === "agent-fleet configuration error")).toEqual(
      [
        {
          repo: "acme/broken",
          number: 2,
          title: "agent-fleet configuration error",
          state: "closed",
        },
      ],
    );
    // Every repo the fleet worked in also got its one, still open, dashboard issue.
    const dashboards = report.fleetIssues.filter((i) => i.title === "agent-fleet dashboard");
    expect(dashboards.map((d) => d.state)).toEqual(dashboards.map(() => "open"));
    expect(new Set(dashboards.map((d) => d.repo)).size).toBe(dashboards.length);
    expect(dashboards.map((d) => d.repo)).toContain("acme/broken");
    // One comment pointing at the configuration error, one for the PR.
    expect(broken.comments, brief(report)).toBeGreaterThanOrEqual(2);
    expect(broken).toMatchObject({ outcome: "verified", merged: true, dispatches: 1 });
    // The relabel at 12m, after the fix at 8m, is what dispatched it.
    expect(broken.attempts[0]?.startedAt).toBeGreaterThanOrEqual(12 * 60_000);
  });
});
