/**
 * What a scripted agent can be told to do, one behaviour per attempt. The scripted agent
 * (scripted-agent.mjs) implements them; the report uses the healthy set.
 *
 * - succeed / slow: heartbeat for `duration`, write the listed files, exit 0 (slow is succeed
 *   spelled for long runs);
 * - noop: heartbeat for `duration`, exit 0 without changes;
 * - fail: heartbeat for `duration`, write a stderr tail, exit 1;
 * - crash: heartbeat for `duration`, exit 137;
 * - hang: stay alive, never heartbeat (a stall); leaves on SIGTERM;
 * - busy: heartbeat forever, so only the wall-clock timeout stops it; leaves on SIGTERM;
 * - ignore-sigterm: heartbeat forever and ignore SIGTERM, so only a cancel or a timeout stops it
 *   and the kill has to escalate to SIGKILL.
 */
export const AGENT_BEHAVIORS = [
  "succeed",
  "slow",
  "noop",
  "fail",
  "crash",
  "hang",
  "busy",
  "ignore-sigterm",
] as const;

export type AgentBehavior = (typeof AGENT_BEHAVIORS)[number];

/** Agents that end by themselves: killing one is only fine for a cancel or a lost runner. */
export const HEALTHY_BEHAVIORS: ReadonlySet<string> = new Set<AgentBehavior>([
  "succeed",
  "slow",
  "noop",
  "fail",
  "crash",
]);
