import { recordAttemptProcess, recordEvent } from "../db/queries/index.js";
import type { Attempt, Task } from "../db/schema.js";
import { readExitFile } from "./agent-process.js";
import type { AttemptContext } from "./attempt-context.js";
import { attemptDirFor, leaseFileFor, readAgentIdentity, readAttemptMeta } from "./attempt-meta.js";
import { concludeLost } from "./conclude.js";
import { followAttempt } from "./follow.js";
import { isSameProcess } from "./proc-stat.js";
import { touchLease } from "./supervise.js";

export type Reconciliation = "adopted" | "finished-while-away" | "lost";

/**
 * After a restart, picks up one attempt this runner still holds. A live agent (same pid AND
 * same start time) is adopted and keeps its original deadlines; one that ended meanwhile is
 * settled from its exit record; anything else is lost and requeued. A healthy agent is never
 * killed here.
 */
export async function reconcileAttempt(
  ctx: AttemptContext,
  held: { task: Task; attempt: Attempt },
): Promise<{ kind: Reconciliation; run: Promise<void> }> {
  const { task, attempt } = held;
  const attemptDir = attempt.dir ?? attemptDirFor(ctx.dataDir, task.id, attempt.number);
  const meta = await readAttemptMeta(attemptDir);
  const identity = await agentOf(ctx, held, attemptDir);
  if (!meta || !identity) {
    return { kind: "lost", run: concludeLost(ctx, "the agent never started before the restart") };
  }
  const live = {
    pid: identity.pid,
    startTime: identity.startTime,
    attemptDir,
    meta,
    lastHeartbeatAtMs: attempt.lastHeartbeatAt?.getTime(),
  };
  const recorded = await readExitFile(attemptDir);
  if (recorded) {
    ctx.log.info({ pid: live.pid, exit: recorded }, "agent finished while the runner was away");
    return {
      kind: "finished-while-away",
      run: followAttempt(ctx, { ...live, exit: Promise.resolve(recorded) }),
    };
  }
  if (await isSameProcess(live.pid, live.startTime)) {
    // Renew the agent's lease first: its dead-man's switch has been counting since we died.
    await touchLease(leaseFileFor(attemptDir));
    await recordEvent(ctx.db, {
      taskId: task.id,
      attemptId: attempt.id,
      kind: "adopted",
      data: { pid: live.pid, runner: attempt.runnerId },
    });
    ctx.log.info({ pid: live.pid }, "adopted a live agent after a restart");
    return { kind: "adopted", run: followAttempt(ctx, live) };
  }
  return { kind: "lost", run: concludeLost(ctx, "the agent was gone after a runner restart") };
}

/**
 * The agent's pid and start time: from the database, or from the file written as it was spawned
 * when the runner died before recording it (then recorded now).
 */
async function agentOf(
  ctx: AttemptContext,
  held: { attempt: Attempt },
  attemptDir: string,
): Promise<{ pid: number; startTime: bigint } | null> {
  const { attempt } = held;
  if (attempt.pid !== null && attempt.pidStartTime !== null) {
    return { pid: attempt.pid, startTime: attempt.pidStartTime };
  }
  const identity = await readAgentIdentity(attemptDir);
  if (!identity) return null;
  await recordAttemptProcess(ctx.db, {
    attemptId: attempt.id,
    leaseToken: attempt.leaseToken,
    pid: identity.pid,
    pidStartTime: identity.startTime,
    dir: attemptDir,
  });
  return identity;
}
