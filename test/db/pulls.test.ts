import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { listen, TASK_CANCELLED, TASK_QUEUED } from "../../src/db/notify.js";
import { claimNextTask } from "../../src/db/queries/claim.js";
import { enqueueTask } from "../../src/db/queries/enqueue.js";
import {
  cancelPullTask,
  claimChecksDeadline,
  claimVerifyDeadline,
  dueChecksDeadlines,
  dueVerifyDeadlines,
  findMergedTasksForSha,
  findOpenPullTasks,
  findPullTasksForCheck,
  findTaskForPull,
  insertRevertTask,
  latestTaskEvent,
  nextPullDeadline,
  queuePullWork,
  updatePullTask,
} from "../../src/db/queries/pulls.js";
import { listEvents } from "../../src/db/queries/read.js";
import { attempts, type Task, tasks } from "../../src/db/schema.js";
import type { TaskState } from "../../src/db/task-states.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { firstCallback, taskInput } from "./fixtures.js";

let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});
beforeEach(async () => {
  await db.execute(sql`truncate tasks, attempts, events, webhook_deliveries cascade`);
});

let nextPr = 1;

/** A task in `state` with a PR, written directly (the runner's path is tested elsewhere). */
async function withPull(state: TaskState, set: Partial<Task> = {}): Promise<Task> {
  const { task } = await enqueueTask(db, taskInput({ repoFullName: "octo/pulls" }));
  if (!task) throw new Error("no task");
  const [row] = await db
    .update(tasks)
    .set({ state, prNumber: nextPr++, headSha: "h1", ...set })
    .where(eq(tasks.id, task.id))
    .returning();
  if (!row) throw new Error("no row");
  return row;
}

describe("finding a PR's task", () => {
  it("by PR number, by head SHA or PR numbers, and by merge commit", async () => {
    const open = await withPull("pr_open", { headSha: "aaa" });
    const review = await withPull("needs_review", { headSha: "bbb" });
    const merged = await withPull("merged", { headSha: "ccc", mergeSha: "mmm" });
    await withPull("cancelled", { headSha: "aaa" });

    expect((await findTaskForPull(db, "octo/pulls", open.prNumber ?? -1))?.id).toBe(open.id);
    expect(await findTaskForPull(db, "other/repo", open.prNumber ?? -1)).toBeNull();
    expect((await findPullTasksForCheck(db, "octo/pulls", "aaa")).map((t) => t.id)).toEqual([
      open.id,
    ]);
    const byNumber = await findPullTasksForCheck(db, "octo/pulls", "zzz", [review.prNumber ?? -1]);
    expect(byNumber.map((t) => t.id)).toEqual([review.id]);
    expect((await findMergedTasksForSha(db, "octo/pulls", "mmm")).map((t) => t.id)).toEqual([
      merged.id,
    ]);
    expect((await findOpenPullTasks(db, "octo/pulls")).map((t) => t.id)).toEqual([
      open.id,
      review.id,
    ]);
  });
});

describe("updating the policy's columns", () => {
  it("only while the task is in one of the given states", async () => {
    const task = await withPull("pr_open");
    expect(await updatePullTask(db, task.id, ["pr_open"], { decision: "waiting" })).toMatchObject({
      decision: "waiting",
    });
    expect(await updatePullTask(db, task.id, ["needs_review"], { decision: "x" })).toBeNull();
  });
});

describe("queueing work on an open PR", () => {
  it("counts a fix, starts a fresh attempt budget, clears flag and deadline, and wakes runners", async () => {
    const task = await withPull("needs_review", {
      attempt: 3,
      flaggedReason: "old",
      checksDeadlineAt: new Date(),
    });
    const heard = firstCallback<string>();
    const listener = await listen(database.url, [TASK_QUEUED], (_c, payload) =>
      heard.callback(payload),
    );
    try {
      const queued = await queuePullWork(db, {
        task,
        from: ["pr_open", "needs_review"],
        work: "fix",
        workContext: "## Failed checks",
        countsAsFix: true,
        event: { kind: "fix_queued", data: { source: "checks" } },
      });
      expect(queued).toMatchObject({
        state: "queued",
        work: "fix",
        workContext: "## Failed checks",
        fixAttempts: 1,
        attemptBase: 3,
        flaggedReason: null,
        checksDeadlineAt: null,
      });
      expect(await heard.promise).toBe(String(task.id));
    } finally {
      await listener.close();
    }
    const last = await latestTaskEvent(db, task.id, "fix_queued");
    expect(last).toMatchObject({ fromState: "needs_review", toState: "queued" });
  });

  it("a rebase does not count against the fix budget", async () => {
    const task = await withPull("pr_open");
    const queued = await queuePullWork(db, {
      task,
      from: ["pr_open"],
      work: "rebase",
      workContext: null,
      countsAsFix: false,
      event: { kind: "rebase_queued" },
    });
    expect(queued).toMatchObject({ work: "rebase", fixAttempts: 0 });
  });
});

describe("the revert task", () => {
  it("is queued once per reverted task, with its event, beside the issue's active task", async () => {
    const original = await withPull("reverted", { mergeSha: "bad" });
    // A new issue task for the same issue holds the active slot; the revert may coexist.
    await enqueueTask(
      db,
      taskInput({ repoFullName: "octo/pulls", issueNumber: original.issueNumber }),
    );
    const first = await insertRevertTask(db, { original, revertSha: "bad", reason: "red CI" });
    const again = await insertRevertTask(db, { original, revertSha: "bad", reason: "red CI" });
    expect(first.created).toBe(true);
    expect(again).toEqual({ task: first.task, created: false });
    expect(first.task).toMatchObject({
      kind: "revert",
      work: "revert",
      state: "queued",
      revertOfTaskId: original.id,
      revertSha: "bad",
      issueNumber: original.issueNumber,
      issueBody: "red CI",
    });
    expect((await listEvents(db, first.task.id)).map((e) => e.kind)).toEqual(["enqueued"]);
    // The claim takes the revert first: it makes the default branch green again.
    const claim = await claimNextTask(db, { runnerId: "r", leaseMs: 60_000 });
    expect(claim?.task.id).toBe(first.task.id);
  });
});

describe("closing a PR unmerged", () => {
  it("cancels a running fix, closes its attempt and tells its runner", async () => {
    const task = await withPull("queued");
    const claim = await claimNextTask(db, { runnerId: "runner-x", leaseMs: 60_000 });
    expect(claim?.task.id).toBe(task.id);
    const heard = firstCallback<string>();
    const listener = await listen(database.url, [TASK_CANCELLED], (_c, payload) =>
      heard.callback(payload),
    );
    try {
      const cancelled = await cancelPullTask(db, { taskId: task.id, reason: "closed" });
      expect(cancelled?.state).toBe("cancelled");
      expect(JSON.parse(await heard.promise)).toEqual({ taskId: task.id, leaseOwner: "runner-x" });
    } finally {
      await listener.close();
    }
    const [attempt] = await db.select().from(attempts).where(eq(attempts.taskId, task.id));
    expect(attempt).toMatchObject({ state: "finished", outcome: "cancelled" });
  });

  it("does nothing to a task that already merged", async () => {
    const task = await withPull("merged");
    expect(await cancelPullTask(db, { taskId: task.id, reason: "closed" })).toBeNull();
  });
});

describe("deadlines", () => {
  it("lists due ones, claims each once, and reports the next", async () => {
    const now = new Date("2030-01-01T12:00:00Z");
    const past = new Date(now.getTime() - 1000);
    const future = new Date(now.getTime() + 60_000);
    const pending = await withPull("pr_open", { checksDeadlineAt: past });
    await withPull("pr_open", { checksDeadlineAt: future });
    const merged = await withPull("merged", { verifyDeadlineAt: past });
    await withPull("verified", { verifyDeadlineAt: past });

    expect((await dueChecksDeadlines(db, now)).map((t) => t.id)).toEqual([pending.id]);
    expect((await dueVerifyDeadlines(db, now)).map((t) => t.id)).toEqual([merged.id]);
    expect(await nextPullDeadline(db)).toEqual(past);

    const claims = await Promise.all([
      claimChecksDeadline(db, pending.id, now),
      claimChecksDeadline(db, pending.id, now),
    ]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await claimVerifyDeadline(db, merged.id, now)).toMatchObject({ verifyDeadlineAt: null });
    expect(await claimVerifyDeadline(db, merged.id, now)).toBeNull();
    expect(await nextPullDeadline(db)).toEqual(future);
  });

  it("reports none when nothing waits", async () => {
    await withPull("pr_open");
    expect(await nextPullDeadline(db)).toBeNull();
  });
});
