import { beforeAll, describe, expect, it } from "vitest";
import type { SimulationReport } from "../../src/sim/report.js";
import { brief, runScenario } from "./run-scenario.js";

const LEASE_TTL = 2 * 60_000; // simulated, as in scenarios/runner-race.yml

let report: SimulationReport;

beforeAll(async () => {
  report = await runScenario("runner-race");
}, 240_000);

describe("two runners racing for 50 issues, one killed (scenarios/runner-race.yml)", () => {
  it("finishes all 50 with pull requests and never dispatches an issue twice at once", () => {
    expect(report.settled, brief(report)).toBe(true);
    expect(report.totals, brief(report)).toMatchObject({
      issues: 50,
      prsOpened: 50,
      duplicateDispatches: 0,
      killedHealthy: 0,
    });
    expect(report.orphanProcesses).toBe(0);
    expect(report.leakedWorktrees).toBe(0);
  });

  it("shares the work between both runners while both are up", () => {
    const runners = new Set(report.issues.flatMap((i) => i.attempts.map((a) => a.runner)));
    expect([...runners].sort()).toEqual(["a", "b"]);
  });

  it("takes over the killed runner's tasks only after its lease expired", () => {
    const [outage] = report.runnerOutages;
    expect(outage).toMatchObject({ runner: "b", backAt: null });
    const killedAt = outage?.killedAt ?? Infinity;
    const takenOver = report.issues.filter((i) => i.attempts.some((a) => a.outcome === "lost"));
    expect(takenOver.length, brief(report)).toBeGreaterThan(0);
    expect(report.totals.lost).toBe(takenOver.length);
    for (const issue of takenOver) {
      const [lost, retry, ...rest] = issue.attempts;
      expect(rest).toEqual([]);
      expect(lost).toMatchObject({ runner: "b", outcome: "lost" });
      expect(retry).toMatchObject({ runner: "a", outcome: "succeeded" });
      expect(retry?.startedAt).toBeGreaterThanOrEqual(killedAt + LEASE_TTL);
      expect(issue.outcome).toBe("verified");
    }
  });

  it("counts one agent start per attempt that reached its agent", () => {
    for (const issue of report.issues) {
      expect(issue.dispatches, `${issue.repo}#${issue.number}`).toBeLessThanOrEqual(
        issue.attempts.length,
      );
      expect(issue.dispatches).toBeGreaterThanOrEqual(1);
    }
  });
});
