import type { Logger } from "pino";
import type { Clock } from "../config/clock.js";
import {
  type AgentExit,
  type AgentLease,
  groupAlive,
  type KillOutcome,
  killProcessGroup,
  touchLease,
  waitForExitFile,
} from "./agent-process.js";
import { type HeartbeatSource, watchHeartbeats } from "./heartbeat.js";
import { isSameProcess, readProcStat } from "./proc-stat.js";

/** Re-exported so the runner's attempt code takes lease handling from one place. */
export { touchLease };

/** Longest TERM grace for a cancelled agent, so a cancel takes effect within two seconds. */
export const CANCEL_GRACE_MS = 1_500;

export type SupervisionOutcome =
  /** It ended by itself: code 0 is a success, anything else the caller classifies as crashed. */
  | { kind: "exited"; exit: AgentExit }
  | { kind: "stalled" | "timed_out" | "cancelled"; exit: AgentExit; killedWith: KillOutcome }
  /** The cost the agent stated passed agent.maxCostUsd: stopped like a timeout. */
  | { kind: "over_budget"; exit: AgentExit; killedWith: KillOutcome; costUsd: number }
  /** The runner is shutting down: the agent was left running for a successor to adopt. */
  | { kind: "released" };

export interface SuperviseOptions {
  /** The wrapper's pid, which is also the agent's process group id. */
  pid: number;
  startTime: bigint;
  attemptDir: string;
  /** The wrapper's exit, when this runner is its parent; otherwise exit.json is watched. */
  exit?: Promise<AgentExit>;
  heartbeat: HeartbeatSource;
  /** When the attempt first started: an adopted agent keeps its original deadlines. */
  startedAtMs: number;
  /** The last heartbeat recorded before a restart, if any. */
  lastHeartbeatAtMs?: number;
  /** Configured ms; the clock scales them. */
  timeoutMs: number;
  stallTimeoutMs: number;
  killGraceMs: number;
  /** The agent is stopped once the total cost it states (USD) passes this. */
  maxCostUsd?: number;
  clock: Clock;
  /** The task was cancelled: kill the agent. */
  cancel: AbortSignal;
  /** The runner is shutting down: stop watching and leave the agent alive. */
  release?: AbortSignal;
  /** Renewed here every ttl/3 (real ms) while supervising; the same lease given to spawnAgent. */
  lease?: AgentLease;
  onHeartbeat?: (atMs: number) => void;
  /** Real ms between heartbeat scans; see watchHeartbeats. */
  heartbeatPollMs?: number;
  log?: Logger;
}

type Trigger =
  | { kind: "exit"; exit: AgentExit }
  | { kind: "stalled" | "timed_out" | "cancelled" | "released" | "over_budget" };

/** setTimeout's ceiling; longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Watches one running agent until it exits, stalls, overruns its wall clock or is cancelled, and
 * kills its process group in the last three cases. One deadline timer per attempt, re-armed only
 * when it fires, so a healthy agent costs one wake-up per stall period plus the shared scan.
 */
export async function superviseAgent(opts: SuperviseOptions): Promise<SupervisionOutcome> {
  const { pid, startTime, attemptDir, clock, cancel, release, log } = opts;
  const done = new AbortController(); // ends the exit-file watch and the lease renewal
  // Set once the trigger promise exists; a scan that reads a cost over the limit fires it.
  let costCheck: (() => void) | undefined;
  const heartbeats = watchHeartbeats({
    attemptDir,
    source: opts.heartbeat,
    clock,
    onCost: () => costCheck?.(),
    ...(opts.onHeartbeat ? { onBeat: opts.onHeartbeat } : {}),
    ...(opts.heartbeatPollMs !== undefined ? { pollMs: opts.heartbeatPollMs } : {}),
  });
  const exit =
    opts.exit ??
    waitForExitFile(attemptDir, {
      pid,
      startTime,
      signal: done.signal,
      recheckMs: Math.min(1000, clock.scale(1000)),
    });
  let renewal: NodeJS.Timeout | undefined;
  if (opts.lease) {
    const { file, ttlMs } = opts.lease;
    touchLease(file);
    renewal = setInterval(() => renew(file, log), Math.max(1, ttlMs / 3));
  }

  const timeoutAt = opts.startedAtMs + clock.scale(opts.timeoutMs);
  const stallAt = () => {
    const last = Math.max(
      opts.startedAtMs, // a fresh agent is not stalled
      opts.lastHeartbeatAtMs ?? Number.NEGATIVE_INFINITY,
      heartbeats.lastBeatAt() ?? Number.NEGATIVE_INFINITY,
    );
    return last + clock.scale(opts.stallTimeoutMs);
  };
  const overBudget = () => {
    const cost = heartbeats.costUsd();
    return opts.maxCostUsd !== undefined && cost !== null && cost > opts.maxCostUsd;
  };

  let timer: NodeJS.Timeout | undefined;
  const cleanups: (() => void)[] = [];
  try {
    const trigger = await new Promise<Trigger>((resolve, reject) => {
      exit.then((e) => resolve({ kind: "exit", exit: e }), reject);
      for (const [signal, kind] of [
        [cancel, "cancelled"],
        [release, "released"],
      ] as const) {
        if (!signal) continue;
        if (signal.aborted) return resolve({ kind });
        const onAbort = () => resolve({ kind });
        signal.addEventListener("abort", onAbort, { once: true });
        cleanups.push(() => signal.removeEventListener("abort", onAbort));
      }
      costCheck = () => {
        if (overBudget()) resolve({ kind: "over_budget" });
      };
      const check = () => {
        heartbeats.refresh(); // judge on the files as they are now, not as last scanned
        if (overBudget()) return resolve({ kind: "over_budget" });
        const now = clock.now();
        if (now >= timeoutAt) return resolve({ kind: "timed_out" });
        const due = Math.min(timeoutAt, stallAt());
        if (now >= due) return resolve({ kind: "stalled" });
        timer = setTimeout(check, Math.min(MAX_TIMER_MS, Math.max(1, due - now)));
      };
      check();
    });
    clearTimeout(timer);

    if (trigger.kind === "released") {
      log?.info({ pid }, "runner releasing the agent; it keeps running for a successor");
      return { kind: "released" };
    }
    if (trigger.kind === "exit") {
      await sweepStragglers(pid, opts, clock, log);
      return { kind: "exited", exit: trigger.exit };
    }

    // Identity first: an adopted pid may since belong to someone else.
    if (!(await isSameProcess(pid, startTime))) {
      const ended = await exit;
      await sweepStragglers(pid, opts, clock, log);
      if (trigger.kind !== "cancelled") return { kind: "exited", exit: ended };
      return { kind: "cancelled", exit: ended, killedWith: "exited" };
    }
    log?.warn({ pid, reason: trigger.kind }, "stopping the agent's process group");
    // A cancelled agent's work is thrown away, so it gets a short grace: stopped within 2 s.
    const graceMs =
      trigger.kind === "cancelled" ? Math.min(opts.killGraceMs, CANCEL_GRACE_MS) : opts.killGraceMs;
    const killedWith = await killProcessGroup(pid, { graceMs, clock });
    const ended = await exit;
    log?.info({ pid, reason: trigger.kind, killedWith, exit: ended }, "agent stopped");
    if (trigger.kind === "over_budget") {
      return { kind: "over_budget", exit: ended, killedWith, costUsd: heartbeats.costUsd() ?? 0 };
    }
    return { kind: trigger.kind, exit: ended, killedWith };
  } finally {
    clearTimeout(timer);
    clearInterval(renewal);
    for (const cleanup of cleanups) cleanup();
    heartbeats.close();
    done.abort();
  }
}

function renew(file: string, log: Logger | undefined): void {
  try {
    touchLease(file);
  } catch (err) {
    log?.warn({ err, file }, "could not renew the agent's lease");
  }
}

/**
 * The wrapper is gone but its group may not be: a background child the agent left, or an agent
 * whose wrapper was killed alone. Nothing of an ended attempt may keep working. The kernel does
 * not reuse a pid while a group of that id has members, so while no other process holds the
 * wrapper's pid, the group is still ours.
 */
async function sweepStragglers(
  pid: number,
  opts: SuperviseOptions,
  clock: Clock,
  log: Logger | undefined,
): Promise<void> {
  const holder = await readProcStat(pid);
  if (holder && holder.startTime !== opts.startTime) return; // the pid was reused: not our group
  if (!(await groupAlive(pid))) return;
  const how = await killProcessGroup(pid, { graceMs: opts.killGraceMs, clock });
  if (how !== "exited") log?.warn({ pid, how }, "killed processes the agent left behind");
}
