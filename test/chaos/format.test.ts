import { describe, expect, it } from "vitest";
import { formatRun, formatSummary, repeatCommand } from "../../src/sim/chaos/format.js";
import type { ChaosRun } from "../../src/sim/chaos/run.js";

const planned = {
  runnerKills: 1,
  serverKills: 1,
  postgresRestarts: 1,
  storms: 2,
  apiFaultRate: 0.05,
  webhookDrop: 0.03,
  webhookDelay: 0.1,
};

function run(seed: number, broken: string[]): ChaosRun {
  return {
    seed,
    ok: broken.length === 0,
    wallTimeMs: 41_234,
    planned,
    injected: {
      runnerKills: 1,
      serverKills: 1,
      postgresRestarts: 1,
      storms: 2,
      apiFaults: 12,
      webhooksDropped: 3,
      webhooksDelayed: 7,
    },
    invariants: [
      { name: "no task lost", ok: true, details: [] },
      { name: "no duplicate dispatch", ok: broken.length === 0, details: broken },
    ],
    error: null,
    report: null,
  };
}

describe("the chaos output", () => {
  it("repeats a seed with the options it ran with", () => {
    expect(repeatCommand(42, {})).toBe("npm run chaos -- --seed 42");
    expect(repeatCommand(42, { short: true, speed: 30 })).toBe(
      "npm run chaos -- --seed 42 --short --speed 30",
    );
  });

  it("prints one line for a run that held, with the faults it injected", () => {
    expect(formatRun(run(42, []), "npm run chaos -- --seed 42")).toBe(
      "seed 42         pass (invariants 2/2)  41.2s  runner kills 1, server kills 1, postgres restarts 1, " +
        "redelivery storms 2, api faults 12, webhooks dropped 3 delayed 7",
    );
  });

  it("names what broke and how to repeat it, in the run and in the summary", () => {
    const failed = run(7, ["chaos/api#3 attempt 2 (succeed, pid 99)"]);
    const text = formatRun(failed, "npm run chaos -- --seed 7");
    expect(text.split("\n").slice(1)).toEqual([
      "  ✗ no duplicate dispatch",
      "      chaos/api#3 attempt 2 (succeed, pid 99)",
      "  repeat: npm run chaos -- --seed 7",
    ]);
    expect(text).toContain("seed 7          FAIL (invariants 1/2)");
    const summary = formatSummary(
      [run(42, []), failed],
      (seed) => `npm run chaos -- --seed ${seed}`,
    );
    expect(summary).toBe(
      "chaos: 2 run(s), 1 passed, 1 failed\n  seed 7: npm run chaos -- --seed 7",
    );
    expect(formatSummary([run(42, [])], String)).toBe(
      "chaos: 1 run(s), 1 passed, 0 failed; every invariant held",
    );
  });
});
