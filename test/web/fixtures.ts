import { eq } from "drizzle-orm";
import type { Db } from "../../src/db/client.js";
import {
  claimNextTask,
  enqueueTask,
  type FinishAttemptInput,
  finishAttempt,
} from "../../src/db/queries/index.js";
import { type Attempt, attempts, type Task } from "../../src/db/schema.js";
import { taskInput } from "../db/fixtures.js";

/** Enqueues a task and claims it as the next one: it must be the only claimable task. */
export async function runningTask(
  db: Db,
  overrides: Parameters<typeof taskInput>[0] = {},
): Promise<{ task: Task; attempt: Attempt }> {
  const { task } = await enqueueTask(db, taskInput(overrides));
  const claim = await claimNextTask(db, { runnerId: "r1", leaseMs: 60_000 });
  if (!claim || claim.task.id !== task?.id) throw new Error("the new task was not claimed");
  return claim;
}

/** What the runner writes at the end of an attempt, besides finishAttempt's columns. */
export async function recordAttemptReport(
  db: Db,
  attemptId: number,
  report: { costUsd?: number; turns?: number; logTail?: string | null },
): Promise<void> {
  await db.update(attempts).set(report).where(eq(attempts.id, attemptId));
}

export async function finish(
  db: Db,
  claim: { task: Task; attempt: Attempt },
  input: Pick<FinishAttemptInput, "outcome" | "to"> & Partial<FinishAttemptInput>,
): Promise<Task> {
  const task = await finishAttempt(db, {
    attemptId: claim.attempt.id,
    taskId: claim.task.id,
    leaseToken: claim.attempt.leaseToken,
    ...input,
  });
  if (!task) throw new Error("the attempt was fenced out");
  return task;
}
