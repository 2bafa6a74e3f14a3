/** What ended an attempt, as the supervisor saw it. */
export type AttemptOutcome =
  | "succeeded"
  | "no_changes"
  | "crashed"
  | "stalled"
  | "timed_out"
  | "lost"
  | "runner_error"
  | "cancelled"
  | "released"
  /** The cost the agent stated passed agent.maxCostUsd; never retried. */
  | "over_budget";

/**
 * Outcomes worth another attempt: the agent or the infrastructure, not the issue, is the likely
 * problem. A runner error (a push or an API call that failed) is usually transient too.
 */
export const RETRYABLE: ReadonlySet<AttemptOutcome> = new Set([
  "crashed",
  "stalled",
  "timed_out",
  "lost",
  "runner_error",
]);

export type RetryDecision = { kind: "retry"; delayMs: number } | { kind: "give_up" };

/**
 * Capped exponential backoff: min(initial * 2^(n-1), max) after the n-th attempt of the current
 * budget, until `maxAttempts` attempts have been spent since the last human retry.
 */
export function decideRetry(input: {
  outcome: AttemptOutcome;
  attempt: number;
  attemptBase: number;
  maxAttempts: number;
  initialMs: number;
  maxMs: number;
}): RetryDecision {
  if (!RETRYABLE.has(input.outcome)) return { kind: "give_up" };
  const spent = input.attempt - input.attemptBase;
  if (spent >= input.maxAttempts) return { kind: "give_up" };
  const delayMs = Math.min(input.initialMs * 2 ** Math.max(0, spent - 1), input.maxMs);
  return { kind: "retry", delayMs };
}
