import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.js";
import { repeatCommand } from "../../src/sim/chaos/format.js";
import { SHORT_SIZE } from "../../src/sim/chaos/generate.js";
import { type ChaosRun, runChaosSeed } from "../../src/sim/chaos/run.js";
import { INVARIANT_NAMES } from "./invariant-names.js";

/**
 * The CI chaos suite: a fixed list of seeds, each a short night with every kind of fault (runner
 * and server SIGKILLs, a PostgreSQL restart, GitHub API faults, dropped and delayed webhooks, a
 * redelivery storm). Faults are drawn from the seed; their timing against the fleet is not, so
 * every invariant must hold whatever the timing. A failure names the seed and how to repeat it.
 */
const SEEDS = [3, 140];

const log = createLogger({ level: process.env.LOG_LEVEL ?? "silent", destination: 2 });

describe.each(SEEDS)("chaos seed %i", (seed) => {
  let run: ChaosRun;
  const repeat = `repeat: ${repeatCommand(seed, { short: true })} (FLEET_SIM_KEEP=1 LOG_LEVEL=warn to look closer)`;

  it("plays the whole night", async () => {
    run = await runChaosSeed(seed, {
      log,
      size: SHORT_SIZE,
      keepFiles: process.env.FLEET_SIM_KEEP === "1",
    });
    expect(run.error, `seed ${seed}: ${repeat}`).toBeNull();
    // Each planned kind of fault happened.
    expect(run.injected?.runnerKills, `seed ${seed}`).toBe(run.planned.runnerKills);
    expect(run.injected?.serverKills).toBeGreaterThanOrEqual(1);
    expect(run.injected?.postgresRestarts).toBeGreaterThanOrEqual(1);
    expect(run.injected?.storms).toBeGreaterThanOrEqual(1);
  }, 300_000);

  it.each(INVARIANT_NAMES)("%s", (name) => {
    const invariant = run?.invariants.find((i) => i.name === name);
    expect(invariant, `seed ${seed}: the night did not run; ${repeat}`).toBeDefined();
    expect(invariant?.details, `seed ${seed}: ${name} broke; ${repeat}`).toEqual([]);
  });
});
