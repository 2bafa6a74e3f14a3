import type { Logger } from "pino";
import type { SimulationReport } from "../report.js";
import { simulate } from "../simulate.js";
import { type ChaosSize, FULL_SIZE, generateChaos, type PlannedFaults } from "./generate.js";
import { checkInvariants, type InvariantResult } from "./invariants.js";
import { leftoverProcesses, type SpawnedProcesses } from "./leftovers.js";

/**
 * Settings of the chaos fleet's processes: the missed-delivery sweep runs every simulated minute
 * (a second of real time at speed 60), so a webhook lost while the server was down is soon
 * redelivered. (The simulator already shortens the GitHub request timeout when the scenario
 * injects timeouts.)
 */
export const CHAOS_ENV = {
  FLEET_REDELIVERY_INTERVAL: "1m",
} as const;

/** What actually happened, as the report counts it (a planned fault may land or not). */
export interface InjectedFaults
  extends Omit<PlannedFaults, "apiFaultRate" | "webhookDrop" | "webhookDelay"> {
  apiFaults: number;
  webhooksDropped: number;
  webhooksDelayed: number;
}

export interface ChaosRun {
  seed: number;
  ok: boolean;
  wallTimeMs: number;
  planned: PlannedFaults;
  injected: InjectedFaults | null;
  invariants: InvariantResult[];
  /** Set when the simulation itself could not run to its end. */
  error: string | null;
  report: SimulationReport | null;
}

export interface ChaosRunOptions {
  log: Logger;
  size?: ChaosSize;
  /** Overrides the drawn scenario's speed. */
  speed?: number;
  keepFiles?: boolean;
  /** Stops the night's processes on SIGINT or SIGTERM, then ends by that signal (the CLI). */
  stopOnSignals?: boolean;
}

/** Draws the seed's night, plays it against the real fleet, and checks every invariant. */
export async function runChaosSeed(seed: number, options: ChaosRunOptions): Promise<ChaosRun> {
  const plan = generateChaos(seed, options.size ?? FULL_SIZE);
  const started = performance.now();
  let spawned: SpawnedProcesses | undefined;
  try {
    const report = await simulate(plan.scenario, {
      log: options.log,
      serverProcess: true,
      env: { ...CHAOS_ENV },
      keepFiles: options.keepFiles ?? false,
      stopOnSignals: options.stopOnSignals ?? false,
      onProcesses: (processes) => {
        spawned = processes;
      },
      ...(options.speed ? { speed: options.speed } : {}),
    });
    const invariants = checkInvariants({
      scenario: plan.scenario,
      report,
      leftovers: spawned ? leftoverProcesses(spawned) : [],
      crashes: spawned?.crashes ?? [],
    });
    return {
      seed,
      ok: invariants.every((i) => i.ok),
      wallTimeMs: performance.now() - started,
      planned: plan.faults,
      injected: injectedFaults(plan.faults, report),
      invariants,
      error: null,
      report,
    };
  } catch (error) {
    return {
      seed,
      ok: false,
      wallTimeMs: performance.now() - started,
      planned: plan.faults,
      injected: null,
      invariants: [],
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      report: null,
    };
  }
}

function injectedFaults(planned: PlannedFaults, report: SimulationReport): InjectedFaults {
  return {
    runnerKills: report.runnerOutages.length,
    // The timeline plays every server kill, restart and storm it holds, or the run throws.
    serverKills: planned.serverKills,
    postgresRestarts: planned.postgresRestarts,
    storms: planned.storms,
    apiFaults: Object.values(report.faults.api).reduce((sum, n) => sum + n, 0),
    webhooksDropped: report.faults.webhooksDropped,
    webhooksDelayed: report.faults.webhooksDelayed,
  };
}
