import { and, asc, desc, eq, inArray, isNotNull, lte, min, sql } from "drizzle-orm";
import { observeEvent } from "../../metrics/observe-event.js";
import type { DbOrTx } from "../client.js";
import { notifyInTx, TASK_CANCELLED, TASK_QUEUED } from "../notify.js";
import { attempts, type Event, events, type Task, type TaskWork, tasks } from "../schema.js";
import type { TaskState } from "../task-states.js";
import { inTransaction, type TaskSet, transitionTask } from "../transition.js";

/** States in which the fleet's PR is open and the policy judges it. */
export const PULL_STATES = ["pr_open", "needs_review", "merging"] as const satisfies TaskState[];

/** The newest task whose PR has this number. */
export async function findTaskForPull(
  db: DbOrTx,
  repoFullName: string,
  prNumber: number,
): Promise<Task | null> {
  const [task] = await db
    .select()
    .from(tasks)
    .where(and(eq(tasks.repoFullName, repoFullName), eq(tasks.prNumber, prNumber)))
    .orderBy(desc(tasks.id))
    .limit(1);
  return task ?? null;
}

/**
 * Tasks with an open PR that a check or status event may concern: those whose last judged head
 * is `sha`, and those whose PR number the event names.
 */
export async function findPullTasksForCheck(
  db: DbOrTx,
  repoFullName: string,
  sha: string,
  prNumbers: readonly number[] = [],
): Promise<Task[]> {
  const match =
    prNumbers.length > 0
      ? sql`(${tasks.headSha} = ${sha} or ${inArray(tasks.prNumber, [...prNumbers])})`
      : eq(tasks.headSha, sha);
  return db
    .select()
    .from(tasks)
    .where(and(eq(tasks.repoFullName, repoFullName), inArray(tasks.state, [...PULL_STATES]), match))
    .orderBy(asc(tasks.id));
}

/** Merged tasks whose merge commit is `sha`: the ones the default branch's CI now judges. */
export async function findMergedTasksForSha(
  db: DbOrTx,
  repoFullName: string,
  sha: string,
): Promise<Task[]> {
  return db
    .select()
    .from(tasks)
    .where(
      and(eq(tasks.repoFullName, repoFullName), eq(tasks.mergeSha, sha), eq(tasks.state, "merged")),
    )
    .orderBy(asc(tasks.id));
}

/** The repo's tasks whose PR waits on the policy, e.g. to judge again after a resume. */
export async function findOpenPullTasks(db: DbOrTx, repoFullName: string): Promise<Task[]> {
  return db
    .select()
    .from(tasks)
    .where(
      and(
        eq(tasks.repoFullName, repoFullName),
        inArray(tasks.state, ["pr_open", "needs_review"]),
        isNotNull(tasks.prNumber),
      ),
    )
    .orderBy(asc(tasks.id));
}

/**
 * Updates the policy's columns of a task (head, decision, check run, deadline, flag) without a
 * state change, only while the task is still in one of `states`. Null when it moved on.
 */
export async function updatePullTask(
  db: DbOrTx,
  taskId: number,
  states: readonly TaskState[],
  set: TaskSet,
): Promise<Task | null> {
  const [task] = await db
    .update(tasks)
    .set({ ...set, updatedAt: sql`now()` })
    .where(and(eq(tasks.id, taskId), inArray(tasks.state, [...states])))
    .returning();
  return task ?? null;
}

/**
 * Queues more work on an open PR (a fix, a rebase) and wakes the runners. The attempt budget
 * starts afresh for it, as for a human retry; `fixAttempts` counts what the policy allows.
 */
export async function queuePullWork(
  db: DbOrTx,
  input: {
    task: Task;
    from: readonly TaskState[];
    work: TaskWork;
    workContext: string | null;
    countsAsFix: boolean;
    set?: TaskSet;
    event: { kind: string; data?: Record<string, unknown> };
  },
): Promise<Task | null> {
  const { task } = input;
  return inTransaction(db, async (tx) => {
    const queued = await transitionTask(tx, {
      taskId: task.id,
      to: "queued",
      from: input.from,
      set: {
        ...input.set,
        work: input.work,
        workContext: input.workContext,
        ...(input.countsAsFix ? { fixAttempts: sql`${tasks.fixAttempts} + 1` } : {}),
        attemptBase: sql`${tasks.attempt}`,
        runAfter: sql`now()`,
        lastError: null,
        flaggedReason: null,
        checksDeadlineAt: null,
      },
      event: input.event,
    });
    if (queued) await notifyInTx(tx, TASK_QUEUED, String(queued.id));
    return queued;
  });
}

/**
 * After a red default branch: the revert task for `original`, queued in the same transaction that
 * writes its `enqueued` event. Returns the existing one if the merge was already being reverted.
 */
export async function insertRevertTask(
  db: DbOrTx,
  input: { original: Task; revertSha: string; reason: string },
): Promise<{ task: Task; created: boolean }> {
  const { original } = input;
  return inTransaction(db, async (tx) => {
    const [existing] = await tx
      .select()
      .from(tasks)
      .where(and(eq(tasks.revertOfTaskId, original.id), eq(tasks.kind, "revert")));
    if (existing) return { task: existing, created: false };
    const [created] = await tx
      .insert(tasks)
      .values({
        repoFullName: original.repoFullName,
        repoId: original.repoId,
        installationId: original.installationId,
        issueNumber: original.issueNumber,
        issueTitle: original.issueTitle,
        issueBody: input.reason,
        defaultBranch: original.defaultBranch,
        cloneUrl: original.cloneUrl,
        requestedBy: original.requestedBy,
        config: original.config,
        // Undoing a red default branch goes ahead of new work.
        priority: original.priority + 100,
        state: "queued",
        kind: "revert",
        work: "revert",
        revertOfTaskId: original.id,
        revertSha: input.revertSha,
      })
      .returning();
    if (!created) throw new Error("insert into tasks returned no row");
    const event = {
      taskId: created.id,
      kind: "enqueued",
      toState: "queued" as const,
      data: { revertOf: original.id, revertSha: input.revertSha },
    };
    await tx.insert(events).values(event);
    observeEvent(tx, event);
    await notifyInTx(tx, TASK_QUEUED, String(created.id));
    return { task: created, created: true };
  });
}

/** States a closed-unmerged PR cancels: its own handling and any fix work queued or running. */
const CLOSED_PULL_CANCELS: readonly TaskState[] = [
  "queued",
  "retry_wait",
  "running",
  "pr_open",
  "needs_review",
  "merging",
];

/**
 * The PR was closed without merging: the task is cancelled, a running fix attempt is closed and
 * its runner told to stop the agent (TASK_CANCELLED, as for an issue cancel).
 */
export async function cancelPullTask(
  db: DbOrTx,
  input: { taskId: number; reason: string; data?: Record<string, unknown> },
): Promise<Task | null> {
  return inTransaction(db, async (tx) => {
    const task = await transitionTask(tx, {
      taskId: input.taskId,
      to: "cancelled",
      from: CLOSED_PULL_CANCELS,
      set: { checksDeadlineAt: null },
      event: { kind: "cancelled", data: { reason: input.reason, ...input.data } },
    });
    if (!task) return null;
    await tx
      .update(attempts)
      .set({ state: "finished", outcome: "cancelled", endedAt: sql`now()` })
      .where(and(eq(attempts.taskId, task.id), eq(attempts.state, "running")));
    await notifyInTx(
      tx,
      TASK_CANCELLED,
      JSON.stringify({ taskId: task.id, leaseOwner: task.leaseOwner }),
    );
    return task;
  });
}

/** Open PRs whose required checks have been pending past their deadline. */
export async function dueChecksDeadlines(db: DbOrTx, now: Date, limit = 100): Promise<Task[]> {
  return db
    .select()
    .from(tasks)
    .where(and(inArray(tasks.state, ["pr_open", "needs_review"]), lte(tasks.checksDeadlineAt, now)))
    .orderBy(asc(tasks.checksDeadlineAt))
    .limit(limit);
}

/** Merged tasks whose post-merge CI has had its time. */
export async function dueVerifyDeadlines(db: DbOrTx, now: Date, limit = 100): Promise<Task[]> {
  return db
    .select()
    .from(tasks)
    .where(and(eq(tasks.state, "merged"), lte(tasks.verifyDeadlineAt, now)))
    .orderBy(asc(tasks.verifyDeadlineAt))
    .limit(limit);
}

/**
 * The claim of a due checks deadline: clears it only if it is still due and the PR still open.
 * Of two sweepers, exactly one gets true.
 */
export async function claimChecksDeadline(
  db: DbOrTx,
  taskId: number,
  now: Date,
): Promise<Task | null> {
  const [task] = await db
    .update(tasks)
    .set({ checksDeadlineAt: null, updatedAt: sql`now()` })
    .where(
      and(
        eq(tasks.id, taskId),
        inArray(tasks.state, ["pr_open", "needs_review"]),
        lte(tasks.checksDeadlineAt, now),
      ),
    )
    .returning();
  return task ?? null;
}

/** The claim of a due post-merge deadline, as claimChecksDeadline. */
export async function claimVerifyDeadline(
  db: DbOrTx,
  taskId: number,
  now: Date,
): Promise<Task | null> {
  const [task] = await db
    .update(tasks)
    .set({ verifyDeadlineAt: null, updatedAt: sql`now()` })
    .where(and(eq(tasks.id, taskId), eq(tasks.state, "merged"), lte(tasks.verifyDeadlineAt, now)))
    .returning();
  return task ?? null;
}

/** The earliest pending deadline of either kind, for scheduling the next sweep. */
export async function nextPullDeadline(db: DbOrTx): Promise<Date | null> {
  const [checks] = await db
    .select({ at: min(tasks.checksDeadlineAt) })
    .from(tasks)
    .where(inArray(tasks.state, ["pr_open", "needs_review"]));
  const [verify] = await db
    .select({ at: min(tasks.verifyDeadlineAt) })
    .from(tasks)
    .where(eq(tasks.state, "merged"));
  const times = [checks?.at, verify?.at]
    .filter((t): t is Date => t instanceof Date || typeof t === "string")
    .map((t) => new Date(t));
  if (times.length === 0) return null;
  return new Date(Math.min(...times.map((t) => t.getTime())));
}

/** The task's newest event of one kind (e.g. the last policy report, the last rebase queued). */
export async function latestTaskEvent(
  db: DbOrTx,
  taskId: number,
  kind: string,
): Promise<Event | null> {
  const [event] = await db
    .select()
    .from(events)
    .where(and(eq(events.taskId, taskId), eq(events.kind, kind)))
    .orderBy(desc(events.id))
    .limit(1);
  return event ?? null;
}

/** The repo's tasks in the middle of a merge call (their merge commit is not recorded yet). */
export async function findMergingTasks(db: DbOrTx, repoFullName: string): Promise<Task[]> {
  return db
    .select()
    .from(tasks)
    .where(and(eq(tasks.repoFullName, repoFullName), eq(tasks.state, "merging")));
}
