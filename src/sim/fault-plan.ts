import type { Clock } from "../config/clock.js";
import type { FaultPlan } from "./emulator/index.js";
import type { Scenario } from "./scenario.js";

/** The emulator's fault plan for a scenario (its delays in real ms), or null for no faults. */
export function faultPlan(scenario: Scenario, clock: Clock): FaultPlan | null {
  const { seed, api, webhooks } = scenario.faults;
  if (api.rate === 0 && webhooks.drop === 0 && webhooks.delay === 0) return null;
  return {
    seed,
    api: { rate: api.rate, kinds: api.kinds },
    webhooks: {
      drop: webhooks.drop,
      delay: webhooks.delay,
      maxDelayMs: Math.round(clock.scale(webhooks.maxDelay)),
    },
  };
}

/**
 * Real ms the app waits for an emulator answer in a scenario that injects timeouts, so each
 * costs seconds rather than 30. Other scenarios keep the default: the emulator compiles a
 * route's schemas on first use, which can take seconds on a busy machine, and a request retried
 * after its write went through would write twice.
 */
export function simGitHubTimeoutMs(scenario: Scenario): number | undefined {
  const { api } = scenario.faults;
  return api.rate > 0 && api.kinds.includes("timeout") ? 5_000 : undefined;
}
