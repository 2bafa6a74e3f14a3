import { eq } from "drizzle-orm";
import type { Clock } from "../config/clock.js";
import type { DbOrTx } from "../db/client.js";
import { type Attempt, attempts, type Task } from "../db/schema.js";
import { attemptDuration, queueLatency } from "./registry.js";

/**
 * After the runner is done with an attempt: its duration by outcome, from the row itself, since
 * many paths end an attempt. One left running (released to a successor) is not observed.
 */
export async function observeAttemptEnded(db: DbOrTx, attemptId: number): Promise<void> {
  try {
    const [row] = await db
      .select({
        outcome: attempts.outcome,
        startedAt: attempts.startedAt,
        endedAt: attempts.endedAt,
      })
      .from(attempts)
      .where(eq(attempts.id, attemptId));
    if (!row?.endedAt || row.outcome === null) return;
    const seconds = (row.endedAt.getTime() - row.startedAt.getTime()) / 1000;
    attemptDuration.observe({ outcome: row.outcome }, Math.max(0, seconds));
  } catch {
    // The database may be closing with the runner; a missed sample is not worth an error.
  }
}

/** An agent just started: a task's first attempt measures the wait since its label. */
export function observeAgentStarted(input: { task: Task; attempt: Attempt; clock: Clock }): void {
  if (input.attempt.number !== 1) return;
  const seconds = (input.clock.now() - input.task.createdAt.getTime()) / 1000;
  queueLatency.observe(Math.max(0, seconds));
}
