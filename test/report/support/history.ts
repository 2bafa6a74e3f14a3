import type { Db } from "../../../src/db/client.js";
import {
  claimNextTask,
  enqueueTask,
  finishAttempt,
  requeueDueRetries,
} from "../../../src/db/queries/index.js";
import type { Attempt, Task } from "../../../src/db/schema.js";
import type { TaskState } from "../../../src/db/task-states.js";
import type { TaskSet } from "../../../src/db/transition.js";
import { taskInput } from "../../db/fixtures.js";

export interface Claimed {
  task: Task;
  attempt: Attempt;
}

/** Queues an issue's task through the real enqueue. */
export async function enqueue(
  db: Db,
  repo: string,
  issue: number,
  extra: { installationId?: number; config?: Record<string, unknown> } = {},
): Promise<Task> {
  const { task } = await enqueueTask(
    db,
    taskInput({ repoFullName: repo, issueNumber: issue, ...extra }),
  );
  if (!task) throw new Error("nothing enqueued");
  return task;
}

/** Claims the next queued task, which must be `task` (tests keep one task queued at a time). */
export async function claim(db: Db, task: Task, runnerId: string): Promise<Claimed> {
  const claimed = await claimNextTask(db, { runnerId, leaseMs: 60_000 });
  if (!claimed) throw new Error(`nothing to claim for task ${task.id}`);
  if (claimed.task.id !== task.id) {
    throw new Error(`claimed task ${claimed.task.id}, expected ${task.id}`);
  }
  return claimed;
}

/** Ends the attempt with an outcome, as the runner does, and moves the task on. */
export async function finish(
  db: Db,
  claimed: Claimed,
  outcome: string,
  to: TaskState,
  extra: { exitCode?: number; signal?: string; set?: TaskSet; data?: Record<string, unknown> } = {},
): Promise<Task> {
  const task = await finishAttempt(db, {
    taskId: claimed.task.id,
    attemptId: claimed.attempt.id,
    leaseToken: claimed.attempt.leaseToken,
    outcome,
    to,
    exitCode: extra.exitCode ?? null,
    signal: extra.signal ?? null,
    ...(extra.set ? { set: extra.set } : {}),
    ...(extra.data ? { eventData: extra.data } : {}),
  });
  if (!task) throw new Error(`attempt ${claimed.attempt.id} was fenced out`);
  return task;
}

/** A failed attempt the runner retries: retry_wait with its error, then due at once. */
export async function failAndRetry(
  db: Db,
  claimed: Claimed,
  outcome: string,
  extra: { exitCode?: number; signal?: string; lastError?: string | null } = {},
): Promise<void> {
  await finish(db, claimed, outcome, "retry_wait", {
    ...(extra.exitCode === undefined ? {} : { exitCode: extra.exitCode }),
    ...(extra.signal === undefined ? {} : { signal: extra.signal }),
    set: { runAfter: new Date(Date.now() - 1_000), lastError: extra.lastError ?? null },
    data: { retryInMs: 0 },
  });
  const requeued = await requeueDueRetries(db);
  if (!requeued.includes(claimed.task.id)) throw new Error("the retry was not requeued");
}
