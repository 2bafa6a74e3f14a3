import { getAdapter } from "./adapters/index.js";
import type { AgentExit } from "./agent-process.js";
import type { AttemptContext } from "./attempt-context.js";
import type { AttemptMeta } from "./attempt-meta.js";
import { concludeAttempt } from "./conclude.js";
import { superviseAgent } from "./supervise.js";

/** A running agent, whether this runner spawned it or adopted it after a restart. */
export interface LiveAgent {
  pid: number;
  startTime: bigint;
  /** Present when this process is the wrapper's parent; otherwise the exit file is watched. */
  exit?: Promise<AgentExit>;
  attemptDir: string;
  meta: AttemptMeta;
  lastHeartbeatAtMs: number | undefined;
}

/** Supervises the agent against its original deadlines, then settles the attempt. */
export async function followAttempt(ctx: AttemptContext, agent: LiveAgent): Promise<void> {
  const { agent: limits } = ctx.config;
  const outcome = await superviseAgent({
    pid: agent.pid,
    startTime: agent.startTime,
    attemptDir: agent.attemptDir,
    ...(agent.exit ? { exit: agent.exit } : {}),
    heartbeat: getAdapter(agent.meta.adapter).heartbeat,
    startedAtMs: agent.meta.startedAtMs,
    ...(agent.lastHeartbeatAtMs === undefined
      ? {}
      : { lastHeartbeatAtMs: agent.lastHeartbeatAtMs }),
    timeoutMs: limits.timeout,
    stallTimeoutMs: limits.stallTimeout,
    killGraceMs: limits.killGrace,
    ...(limits.maxCostUsd === undefined ? {} : { maxCostUsd: limits.maxCostUsd }),
    clock: ctx.clock,
    cancel: ctx.cancel,
    release: ctx.release,
    onHeartbeat: ctx.onHeartbeat,
    log: ctx.log,
  });
  await concludeAttempt(ctx, agent, outcome);
}
