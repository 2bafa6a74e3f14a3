import { describe, expect, it } from "vitest";
import { API_FAULT_KINDS, type FaultPlan, Faults } from "../../src/sim/emulator/faults.js";
import { mulberry32 } from "../../src/sim/prng.js";

/** The first `n` API decisions and webhook decisions of a plan, drawn from a fresh Faults. */
function decisions(plan: FaultPlan, n: number) {
  const faults = new Faults();
  faults.set(plan);
  return {
    api: Array.from({ length: n }, () => faults.nextApiFault()),
    hooks: Array.from({ length: n }, () => faults.nextWebhookFault()),
    stats: faults.stats(),
  };
}

const busy: FaultPlan = {
  seed: 42,
  api: { rate: 0.3 },
  webhooks: { drop: 0.2, delay: 0.3, maxDelayMs: 5_000 },
};

describe("the emulator's fault decisions", () => {
  it("repeat for a seed, and differ for another seed", () => {
    const first = decisions(busy, 500);
    const again = decisions(busy, 500);
    expect(again).toEqual(first);
    const other = decisions({ ...busy, seed: 43 }, 500);
    expect(other.api).not.toEqual(first.api);
    expect(other.hooks).not.toEqual(first.hooks);
  });

  it("restart from the seed when the plan is set again", () => {
    const faults = new Faults();
    faults.set(busy);
    const first = Array.from({ length: 50 }, () => faults.nextApiFault());
    faults.set(busy);
    expect(Array.from({ length: 50 }, () => faults.nextApiFault())).toEqual(first);
  });

  it("keep the API and webhook streams apart: one's decisions do not move the other's", () => {
    const alone = decisions(busy, 200);
    const faults = new Faults();
    faults.set(busy);
    const api: unknown[] = [];
    const hooks: unknown[] = [];
    for (let i = 0; i < 200; i++) {
      api.push(faults.nextApiFault());
      // Webhooks drawn in bursts between API requests.
      if (i % 3 === 0) hooks.push(faults.nextWebhookFault(), faults.nextWebhookFault());
    }
    expect(api).toEqual(alone.api);
    expect(hooks).toEqual(alone.hooks.slice(0, hooks.length));
  });

  it("fail about the planned share of requests, with every kind, and count each one", () => {
    const { api, stats } = decisions({ seed: 7, api: { rate: 0.15 } }, 4_000);
    const failed = api.filter((f) => f !== null);
    expect(failed.length / api.length).toBeGreaterThan(0.12);
    expect(failed.length / api.length).toBeLessThan(0.18);
    for (const kind of API_FAULT_KINDS) {
      const count = failed.filter((f) => f === kind).length;
      expect(count, kind).toBeGreaterThan(0);
      expect(stats.api[kind], kind).toBe(count);
    }
    expect(stats.webhooksDropped + stats.webhooksDelayed).toBe(0);
  });

  it("pick only the listed kinds", () => {
    const { api } = decisions({ seed: 3, api: { rate: 1, kinds: ["429", "timeout"] } }, 300);
    expect(new Set(api)).toEqual(new Set(["429", "timeout"]));
  });

  it("drop or hold back the planned shares of deliveries, each hold within maxDelay", () => {
    const plan = { seed: 11, webhooks: { drop: 0.1, delay: 0.2, maxDelayMs: 2_000 } };
    const { hooks, stats } = decisions(plan, 5_000);
    const dropped = hooks.filter((h) => h?.kind === "drop").length;
    const delays = hooks.flatMap((h) => (h?.kind === "delay" ? [h.ms] : []));
    expect(dropped / hooks.length).toBeGreaterThan(0.08);
    expect(dropped / hooks.length).toBeLessThan(0.12);
    // A dropped delivery is not also delayed: 20% of the other 90%.
    expect(delays.length / hooks.length).toBeGreaterThan(0.15);
    expect(delays.length / hooks.length).toBeLessThan(0.21);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...delays)).toBeLessThanOrEqual(2_000);
    expect(stats).toMatchObject({ webhooksDropped: dropped, webhooksDelayed: delays.length });
  });

  it("inject nothing without a plan, with zero shares, or once the plan is cleared", () => {
    const faults = new Faults();
    expect(faults.nextApiFault()).toBeNull();
    expect(faults.nextWebhookFault()).toBeNull();
    faults.set({ seed: 1, api: { rate: 0 }, webhooks: { drop: 0, delay: 0 } });
    expect(Array.from({ length: 100 }, () => faults.nextApiFault()).every((f) => f === null)).toBe(
      true,
    );
    faults.set({ seed: 1, api: { rate: 1 } });
    expect(faults.nextApiFault()).not.toBeNull();
    faults.set(null);
    expect(faults.nextApiFault()).toBeNull();
    // Counts survive the plan: they add up over the emulator's life.
    expect(Object.values(faults.stats().api).reduce((a, b) => a + b, 0)).toBe(1);
  });

  it("refuse a plan with a share outside 0..1, a fractional seed or an unknown kind", () => {
    const faults = new Faults();
    expect(() => faults.set({ seed: 1, api: { rate: 1.5 } })).toThrow(/between 0 and 1/);
    expect(() => faults.set({ seed: 1, webhooks: { drop: -0.1 } })).toThrow(/between 0 and 1/);
    expect(() => faults.set({ seed: 1.5 })).toThrow(/integer/);
    expect(() => faults.set({ seed: 1, api: { rate: 0.1, kinds: ["418" as never] } })).toThrow(
      /unknown API fault kind/,
    );
  });

  it("draw numbers in [0, 1) from mulberry32, the same for the same seed", () => {
    const a = mulberry32(99);
    const b = mulberry32(99);
    const draws = Array.from({ length: 1_000 }, () => a());
    expect(draws).toEqual(Array.from({ length: 1_000 }, () => b()));
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(draws).size).toBeGreaterThan(990);
  });
});
