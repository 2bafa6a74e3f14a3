import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../src/db/client.js";
import { finishAttempt } from "../../src/db/queries/attempts.js";
import { claimNextTask } from "../../src/db/queries/claim.js";
import { enqueueTask } from "../../src/db/queries/enqueue.js";
import { getTask, listEvents } from "../../src/db/queries/read.js";
import { requeueDueRetries } from "../../src/db/queries/retries.js";
import { attempts, repoStates, type Task, tasks } from "../../src/db/schema.js";
import { dbNowPlus } from "../../src/db/sql-time.js";
import { transitionTask } from "../../src/db/transition.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { countRows, taskInput } from "./fixtures.js";

let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});
// Claims take any queued task, so every test starts from an empty queue.
beforeEach(async () => {
  await db.execute(sql`truncate tasks, attempts, events, webhook_deliveries, repo_states cascade`);
});

/** Queued tasks in one insert (setup speed; enqueueTask itself is tested elsewhere). */
async function enqueueMany(count: number, repoOf: (i: number) => string): Promise<Task[]> {
  const rows = Array.from({ length: count }, (_, i) => ({
    ...taskInput({ repoFullName: repoOf(i), issueNumber: i + 1 }),
    state: "queued" as const,
  }));
  return db.insert(tasks).values(rows).returning();
}

/** `n` separate pools of one connection each: truly concurrent claimers. */
async function withClaimers<T>(n: number, run: (dbs: Db[]) => Promise<T>): Promise<T> {
  const handles = Array.from({ length: n }, () => createDb(database.url, { max: 1 }));
  try {
    return await run(handles.map((h) => h.db));
  } finally {
    await Promise.all(handles.map((h) => h.close()));
  }
}

describe("claimNextTask", () => {
  it("returns null on an empty queue", async () => {
    expect(await claimNextTask(db, { runnerId: "r", leaseMs: 1000 })).toBeNull();
  });

  it("claims by priority then age, under a fresh lease, with its attempt and event", async () => {
    const [low, high] = await Promise.all([
      enqueueTask(db, taskInput({ repoFullName: "p/low" })),
      enqueueTask(db, taskInput({ repoFullName: "p/high", priority: 5 })),
    ]);
    const claim = await claimNextTask(db, { runnerId: "runner-1", leaseMs: 30_000 });
    expect(claim?.task.id).toBe(high.task?.id);
    expect(claim?.task.state).toBe("running");
    expect(claim?.task.attempt).toBe(1);
    expect(claim?.task.leaseOwner).toBe("runner-1");
    expect(claim?.task.leaseToken).toMatch(/^[0-9a-f-]{36}$/);
    const leaseLeft = (claim?.task.leaseExpiresAt?.getTime() ?? 0) - Date.now();
    expect(leaseLeft).toBeGreaterThan(20_000);
    expect(leaseLeft).toBeLessThan(40_000);

    expect(claim?.attempt).toMatchObject({
      taskId: claim?.task.id,
      number: 1,
      runnerId: "runner-1",
      leaseToken: claim?.task.leaseToken,
      state: "running",
    });
    const evs = await listEvents(db, claim?.task.id ?? -1);
    expect(evs.at(-1)).toMatchObject({
      kind: "claimed",
      fromState: "queued",
      toState: "running",
      attemptId: claim?.attempt.id,
    });

    const next = await claimNextTask(db, { runnerId: "runner-1", leaseMs: 30_000 });
    expect(next?.task.id).toBe(low.task?.id);
  });

  it("skips tasks whose run_after is in the future", async () => {
    const { task } = await enqueueTask(db, taskInput({ repoFullName: "later/repo" }));
    await db.execute(sql`update tasks set run_after = ${dbNowPlus(60_000)} where id = ${task?.id}`);
    expect(await claimNextTask(db, { runnerId: "r", leaseMs: 1000 })).toBeNull();
  });

  it("hands each of 500 tasks to exactly one of 8 concurrent claimers", async () => {
    const queued = await enqueueMany(500, (i) => `race/repo-${i % 50}`);
    const claimedBy = await withClaimers(8, (dbs) =>
      Promise.all(
        dbs.map(async (claimerDb, c) => {
          const ids: number[] = [];
          for (;;) {
            const claim = await claimNextTask(claimerDb, {
              runnerId: `claimer-${c}`,
              leaseMs: 60_000,
              repoConcurrency: 1000,
            });
            if (!claim) return ids;
            ids.push(claim.task.id);
            const done = await finishAttempt(claimerDb, {
              attemptId: claim.attempt.id,
              taskId: claim.task.id,
              leaseToken: claim.attempt.leaseToken,
              outcome: "no_changes",
              exitCode: 0,
              to: "no_changes",
            });
            if (!done) throw new Error(`finish of task ${claim.task.id} was fenced out`);
          }
        }),
      ),
    );

    const all = claimedBy.flat();
    expect(all).toHaveLength(500);
    expect(new Set(all).size).toBe(500);
    expect([...all].sort((a, b) => a - b)).toEqual(queued.map((t) => t.id).sort((a, b) => a - b));
    // More than one claimer actually took part.
    expect(claimedBy.filter((ids) => ids.length > 0).length).toBeGreaterThan(1);
    expect(await countRows(db, sql`select 1 from attempts`)).toBe(500);
    expect(await countRows(db, sql`select 1 from attempts where number <> 1`)).toBe(0);
    expect(await countRows(db, sql`select 1 from events where kind = 'claimed'`)).toBe(500);
    expect(await countRows(db, sql`select 1 from tasks where state <> 'no_changes'`)).toBe(0);
  });

  it("never runs more than repoConcurrency tasks of one repo, one claimer at a time", async () => {
    await enqueueMany(4, () => "cap/one");
    await enqueueMany(1, () => "cap/other");
    const first = await claimNextTask(db, { runnerId: "r", leaseMs: 60_000 });
    const second = await claimNextTask(db, { runnerId: "r", leaseMs: 60_000 });
    expect([first?.task.repoFullName, second?.task.repoFullName]).toEqual(["cap/one", "cap/one"]);
    // cap/one is full: the next claim passes over its older tasks to the other repo.
    const third = await claimNextTask(db, { runnerId: "r", leaseMs: 60_000 });
    expect(third?.task.repoFullName).toBe("cap/other");
    expect(await claimNextTask(db, { runnerId: "r", leaseMs: 60_000 })).toBeNull();

    // Finishing one frees a slot.
    if (!first) throw new Error("no first claim");
    await finishAttempt(db, {
      attemptId: first.attempt.id,
      taskId: first.task.id,
      leaseToken: first.attempt.leaseToken,
      outcome: "succeeded",
      to: "pr_open",
    });
    const fourth = await claimNextTask(db, { runnerId: "r", leaseMs: 60_000 });
    expect(fourth?.task.repoFullName).toBe("cap/one");
  });

  it("holds the repo cap when many claimers race for one repo", async () => {
    for (const cap of [1, 2, 3]) {
      await db.execute(sql`truncate tasks, attempts, events cascade`);
      await enqueueMany(16, () => "cap/contended");
      const results = await withClaimers(8, (dbs) =>
        Promise.all(
          dbs.map((claimerDb, c) =>
            claimNextTask(claimerDb, { runnerId: `c-${c}`, leaseMs: 60_000, repoConcurrency: cap }),
          ),
        ),
      );
      expect(results.filter((r) => r !== null)).toHaveLength(cap);
      expect(await countRows(db, sql`select 1 from tasks where state = 'running'`)).toBe(cap);
    }
  });

  it("passes over a paused repo's tasks, except the revert that repairs it", async () => {
    const [issueTask] = await enqueueMany(1, () => "paused/repo");
    const [otherRepo] = await enqueueMany(1, () => "running/repo");
    const [revertTask] = await db
      .insert(tasks)
      .values({
        ...taskInput({ repoFullName: "paused/repo", issueNumber: 1 }),
        state: "queued",
        kind: "revert",
        work: "revert",
        revertSha: "a".repeat(40),
        priority: -1, // claimed last if the pause were ignored
      })
      .returning();
    await db.insert(repoStates).values([
      { repoFullName: "paused/repo", installationId: 7, pausedAt: new Date() },
      // a row without pausedAt (a resumed repo, or one only carrying config errors) is open
      { repoFullName: "running/repo", installationId: 7, pausedAt: null },
    ]);

    const claimed = [];
    for (;;) {
      const claim = await claimNextTask(db, { runnerId: "r", leaseMs: 60_000 });
      if (!claim) break;
      claimed.push(claim.task.id);
    }
    expect(claimed.sort()).toEqual([otherRepo?.id, revertTask?.id].sort());
    expect((await getTask(db, issueTask?.id ?? -1))?.state).toBe("queued");

    // `/fleet resume` clears the pause: the issue task is claimable again.
    await db.update(repoStates).set({ pausedAt: null });
    const resumed = await claimNextTask(db, { runnerId: "r", leaseMs: 60_000 });
    expect(resumed?.task.id).toBe(issueTask?.id);
  });

  it("counts attempts across requeues", async () => {
    await enqueueMany(1, () => "again/repo");
    const first = await claimNextTask(db, { runnerId: "r", leaseMs: 60_000 });
    if (!first) throw new Error("nothing claimed");
    await finishAttempt(db, {
      attemptId: first.attempt.id,
      taskId: first.task.id,
      leaseToken: first.attempt.leaseToken,
      outcome: "runner_stopped",
      to: "queued",
    });
    const second = await claimNextTask(db, { runnerId: "r2", leaseMs: 60_000 });
    expect(second?.task.id).toBe(first.task.id);
    expect(second?.task.attempt).toBe(2);
    expect(second?.attempt.number).toBe(2);
    expect(second?.attempt.leaseToken).not.toBe(first.attempt.leaseToken);
  });
});

describe("finishAttempt", () => {
  it("closes the attempt, moves the task and clears the lease", async () => {
    await enqueueMany(1, () => "finish/ok");
    const claim = await claimNextTask(db, { runnerId: "r", leaseMs: 60_000 });
    if (!claim) throw new Error("nothing claimed");
    const task = await finishAttempt(db, {
      attemptId: claim.attempt.id,
      taskId: claim.task.id,
      leaseToken: claim.attempt.leaseToken,
      outcome: "succeeded",
      exitCode: 0,
      to: "pr_open",
      set: { prNumber: 12, prUrl: "http://127.0.0.1/pr/12", branch: "fleet/1-x" },
      eventData: { pr: 12 },
    });
    expect(task).toMatchObject({
      state: "pr_open",
      prNumber: 12,
      branch: "fleet/1-x",
      leaseOwner: null,
      leaseToken: null,
      leaseExpiresAt: null,
    });
    const [attempt] = await db.select().from(attempts);
    expect(attempt).toMatchObject({ state: "finished", outcome: "succeeded", exitCode: 0 });
    expect(attempt?.endedAt).toBeInstanceOf(Date);
    const evs = await listEvents(db, claim.task.id);
    expect(evs.at(-1)).toMatchObject({
      kind: "attempt_finished",
      fromState: "running",
      toState: "pr_open",
      attemptId: claim.attempt.id,
      data: { outcome: "succeeded", exitCode: 0, signal: null, pr: 12 },
    });
  });

  it("writes nothing for a stale lease token after the task changed hands", async () => {
    await enqueueMany(1, () => "finish/stale");
    const old = await claimNextTask(db, { runnerId: "old", leaseMs: 60_000 });
    if (!old) throw new Error("nothing claimed");
    // A rescuer requeues it (old runner presumed dead) and another runner claims it.
    await transitionTask(db, { taskId: old.task.id, to: "queued", from: ["running"] });
    const fresh = await claimNextTask(db, { runnerId: "new", leaseMs: 60_000 });
    expect(fresh?.task.id).toBe(old.task.id);
    const eventsBefore = await listEvents(db, old.task.id);
    const attemptsBefore = await db.select().from(attempts).orderBy(attempts.id);

    const result = await finishAttempt(db, {
      attemptId: old.attempt.id,
      taskId: old.task.id,
      leaseToken: old.attempt.leaseToken,
      outcome: "succeeded",
      to: "pr_open",
      set: { prNumber: 99 },
    });
    expect(result).toBeNull();
    const after = await getTask(db, old.task.id);
    expect(after).toMatchObject({ state: "running", leaseOwner: "new", prNumber: null });
    expect(after?.leaseToken).toBe(fresh?.attempt.leaseToken);
    expect(await listEvents(db, old.task.id)).toEqual(eventsBefore);
    expect(await db.select().from(attempts).orderBy(attempts.id)).toEqual(attemptsBefore);

    const random = await finishAttempt(db, {
      attemptId: old.attempt.id,
      taskId: old.task.id,
      leaseToken: randomUUID(),
      outcome: "x",
      to: "failed",
    });
    expect(random).toBeNull();
    expect((await getTask(db, old.task.id))?.state).toBe("running");
  });

  it("rolls everything back when the attempt does not belong to the lease", async () => {
    await enqueueMany(2, (i) => `finish/mismatch-${i}`);
    const a = await claimNextTask(db, { runnerId: "r", leaseMs: 60_000 });
    const b = await claimNextTask(db, { runnerId: "r", leaseMs: 60_000 });
    if (!a || !b) throw new Error("claims missing");
    await expect(
      finishAttempt(db, {
        attemptId: b.attempt.id,
        taskId: a.task.id,
        leaseToken: a.attempt.leaseToken,
        outcome: "succeeded",
        to: "no_changes",
      }),
    ).rejects.toThrow("is not the running attempt");
    expect((await getTask(db, a.task.id))?.state).toBe("running");
    expect(await countRows(db, sql`select 1 from attempts where state = 'finished'`)).toBe(0);
  });
});

describe("requeueDueRetries", () => {
  it("requeues only retry_wait tasks whose backoff has elapsed", async () => {
    await enqueueMany(2, (i) => `retry/repo-${i}`);
    const due = await claimNextTask(db, { runnerId: "r", leaseMs: 60_000 });
    const later = await claimNextTask(db, { runnerId: "r", leaseMs: 60_000 });
    if (!due || !later) throw new Error("claims missing");
    for (const [claim, delay] of [
      [due, -1_000],
      [later, 60_000],
    ] as const) {
      await finishAttempt(db, {
        attemptId: claim.attempt.id,
        taskId: claim.task.id,
        leaseToken: claim.attempt.leaseToken,
        outcome: "crashed",
        to: "retry_wait",
        set: { runAfter: dbNowPlus(delay) },
      });
    }
    expect(await requeueDueRetries(db)).toEqual([due.task.id]);
    expect((await getTask(db, due.task.id))?.state).toBe("queued");
    expect((await getTask(db, later.task.id))?.state).toBe("retry_wait");
    expect(await requeueDueRetries(db)).toEqual([]);
  });
});
