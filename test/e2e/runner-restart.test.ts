import { beforeAll, describe, expect, it } from "vitest";
import type { SimulationReport } from "../../src/sim/report.js";
import { brief, runScenario } from "./run-scenario.js";

let report: SimulationReport;

beforeAll(async () => {
  report = await runScenario("runner-restart");
}, 120_000);

describe("a runner SIGKILLed mid-run and restarted (scenarios/runner-restart.yml)", () => {
  it("was really killed while every agent ran, and came back within its lease", () => {
    expect(report.settled, brief(report)).toBe(true);
    const [outage] = report.runnerOutages;
    expect(report.runnerOutages).toHaveLength(1);
    expect(outage?.backAt).not.toBeNull();
    expect((outage?.backAt ?? Infinity) - (outage?.killedAt ?? 0)).toBeLessThan(8 * 60_000);
    for (const issue of report.issues) {
      const [agent] = issue.agents;
      expect(agent?.startedAt, `${issue.repo}#${issue.number}`).toBeLessThan(outage?.killedAt ?? 0);
      expect((agent?.startedAt ?? 0) + (agent?.runtimeMs ?? 0)).toBeGreaterThan(
        outage?.backAt ?? Infinity,
      );
    }
  });

  it("adopts every live agent and kills none", () => {
    expect(report.totals, brief(report)).toMatchObject({
      adopted: 4,
      killedHealthy: 0,
      lost: 0,
      duplicateDispatches: 0,
      dispatches: 4,
    });
    for (const issue of report.issues) {
      expect(issue.agents.map((a) => a.end)).toEqual(["exit"]);
    }
    expect(report.orphanProcesses).toBe(0);
    expect(report.leakedWorktrees).toBe(0);
  });

  it("finishes every task with a pull request", () => {
    expect(report.totals.prsOpened).toBe(4);
    for (const issue of report.issues) {
      expect(issue, brief(report)).toMatchObject({ outcome: "verified" });
      expect(issue.attempts.map((a) => a.outcome)).toEqual(["succeeded"]);
      expect(issue.pr?.closesIssue).toBe(true);
    }
  });
});
