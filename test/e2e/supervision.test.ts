import { beforeAll, describe, expect, it } from "vitest";
import type { SimulationReport } from "../../src/sim/report.js";
import { brief, issueOf, runScenario } from "./run-scenario.js";

// Simulated durations, as in scenarios/supervision.yml.
const STALL = 2 * 60_000;
const TIMEOUT = 8 * 60_000;
const KILL_GRACE = 30_000;

let report: SimulationReport;

beforeAll(async () => {
  report = await runScenario("supervision");
}, 120_000);

describe("supervising agents (scenarios/supervision.yml)", () => {
  it("settles with nothing duplicated, orphaned, leaked or wrongly killed", () => {
    expect(report.settled, brief(report)).toBe(true);
    expect(report.totals, brief(report)).toMatchObject({
      duplicateDispatches: 0,
      killedHealthy: 0,
      stalled: 1,
      timedOut: 2,
      crashed: 3,
    });
    expect(report.orphanProcesses).toBe(0);
    expect(report.leakedWorktrees).toBe(0);
  });

  it("kills a hung agent at its stall timeout and retries it", () => {
    const hung = issueOf(report, "acme/api", 1);
    expect(
      hung.attempts.map((a) => a.outcome),
      brief(report),
    ).toEqual(["stalled", "succeeded"]);
    const [first] = hung.agents;
    expect(first).toMatchObject({ behavior: "hang", end: "sigterm" });
    // Not before the stall timeout (the attempt spans the agent's whole life, from the spawn
    // on), and well before the wall clock would have stopped it.
    expect(hung.attempts[0]?.runtimeMs).toBeGreaterThanOrEqual(STALL);
    expect(first?.runtimeMs).toBeLessThan(TIMEOUT);
    expect(hung).toMatchObject({ outcome: "verified", dispatches: 2 });
  });

  it("kills a busy agent at its wall-clock timeout, however lively", () => {
    const busy = issueOf(report, "acme/api", 2);
    expect(
      busy.attempts.map((a) => a.outcome),
      brief(report),
    ).toEqual(["timed_out", "succeeded"]);
    const [first] = busy.agents;
    expect(first).toMatchObject({ behavior: "busy", end: "sigterm" });
    expect(busy.attempts[0]?.runtimeMs).toBeGreaterThanOrEqual(TIMEOUT);
    expect(first?.runtimeMs).toBeLessThan(TIMEOUT + 2 * 60_000);
    expect(busy.outcome).toBe("verified");
  });

  it("escalates to SIGKILL after the grace period when SIGTERM is ignored", () => {
    const deaf = issueOf(report, "acme/api", 3);
    const [first] = deaf.agents;
    expect(first, brief(report)).toMatchObject({ behavior: "ignore-sigterm", end: "killed" });
    // It heard the TERM, ignored it, and lived on for the kill grace before the KILL came.
    expect(first?.survivedSigtermMs).toBeGreaterThanOrEqual(KILL_GRACE * 0.9);
    expect(deaf.attempts[0]).toMatchObject({ outcome: "timed_out", signal: "SIGKILL" });
    expect(deaf.outcome).toBe("verified");
  });

  it("fails a task after maxAttempts with one summary comment and the failed label", () => {
    const failing = issueOf(report, "acme/api", 4);
    expect(failing, brief(report)).toMatchObject({ outcome: "failed", dispatches: 3, pr: null });
    expect(failing.attempts.map((a) => a.outcome)).toEqual(["crashed", "crashed", "crashed"]);
    expect(failing.agents.map((a) => [a.end, a.code])).toEqual([
      ["exit", 1],
      ["exit", 1],
      ["exit", 1],
    ]);
    expect(failing.labels).toContain("fleet:failed");
    expect(failing.comments).toBe(1);
    expect(failing.lastComment).toContain("after 3 attempts");
    for (const n of [1, 2, 3])
      expect(failing.lastComment).toMatch(new RegExp(`\\| ${n} \\| crashed \\|`));
  });
});
