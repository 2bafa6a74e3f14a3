import { describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as toYaml } from "yaml";
import { FULL_SIZE, generateChaos, SHORT_SIZE } from "../../src/sim/chaos/generate.js";
import { mulberry32, Random } from "../../src/sim/prng.js";
import { parseScenario } from "../../src/sim/scenario.js";
import { buildTimeline } from "../../src/sim/timeline.js";

const SEEDS = [1, 7, 42, 1234, 99_999, 4_294_967_295];

describe("the seeded PRNG", () => {
  it("draws the same numbers from the same seed, and others from another", () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const first = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(first);
    expect(Array.from({ length: 5 }, c)).not.toEqual(first);
    for (const n of first) expect(n >= 0 && n < 1).toBe(true);
  });

  it("keeps int() within its bounds and reaches both", () => {
    const random = new Random(7);
    const seen = new Set(Array.from({ length: 500 }, () => random.int(2, 5)));
    expect([...seen].sort()).toEqual([2, 3, 4, 5]);
  });
});

describe("a chaos night drawn from a seed", () => {
  it("is the same night for the same seed", () => {
    for (const seed of SEEDS) {
      expect(generateChaos(seed).source).toEqual(generateChaos(seed).source);
    }
    expect(generateChaos(1).source).not.toEqual(generateChaos(2).source);
  });

  it("is a valid scenario that `fleet simulate` reads back from its YAML", () => {
    for (const seed of SEEDS) {
      const plan = generateChaos(seed, SHORT_SIZE);
      expect(parseScenario(toYaml(plan.source))).toEqual(plan.scenario);
    }
  });

  it("injects every kind of fault, within the sizes asked for", () => {
    for (const size of [FULL_SIZE, SHORT_SIZE]) {
      for (const seed of SEEDS) {
        const { scenario, faults } = generateChaos(seed, size);
        const events = scenario.events;
        const count = (key: string) => events.filter((e) => key in e).length;
        expect(count("kill-runner")).toBe(faults.runnerKills);
        expect(count("kill-server")).toBe(faults.serverKills);
        expect(count("restart-postgres")).toBe(faults.postgresRestarts);
        expect(count("redeliver-storm")).toBe(faults.storms);
        for (const n of [faults.runnerKills, faults.serverKills, faults.postgresRestarts]) {
          expect(n).toBeGreaterThanOrEqual(1);
        }
        expect(scenario.faults.api.rate).toBeGreaterThan(0);
        expect(scenario.faults.webhooks.drop).toBeGreaterThan(0);
        expect(scenario.faults.webhooks.delay).toBeGreaterThan(0);
        const issues = scenario.issues.filter((i) => i.repo !== "chaos/fragile").length;
        expect(issues).toBeGreaterThanOrEqual(size.issues[0]);
        expect(issues).toBeLessThanOrEqual(size.issues[1]);
      }
    }
  });

  it("brings every killed runner back, and starts nothing while PostgreSQL is down", () => {
    for (const seed of SEEDS) {
      const timeline = buildTimeline(generateChaos(seed).scenario);
      const down: Array<[number, number]> = [];
      let stoppedAt: number | null = null;
      const up = new Set(["a"]);
      for (const action of timeline) {
        if (action.kind === "stop-postgres") stoppedAt = action.at;
        if (action.kind === "start-postgres" && stoppedAt !== null) {
          down.push([stoppedAt, action.at]);
          stoppedAt = null;
        }
        if (action.kind === "kill-runner") up.delete(action.runner);
        if (action.kind === "start-runner") up.add(action.runner);
      }
      expect(up, `seed ${seed}`).toEqual(new Set(["a", "b"]));
      const starts = timeline.filter((a) => a.kind === "start-runner" || a.kind === "start-server");
      for (const start of starts) {
        const inside = down.some(([from, to]) => start.at >= from && start.at <= to);
        expect(inside, `seed ${seed}: ${start.kind} at ${start.at}`).toBe(false);
      }
    }
  });

  it("writes the seed into the scenario's name and its GitHub faults", () => {
    const source = generateChaos(1234).source as { name: string; faults: { seed: number } };
    expect(source.name).toBe("chaos-1234");
    expect(source.faults.seed).toBe(1234);
    expect(parseYaml(toYaml(source)).faults.seed).toBe(1234);
  });
});
