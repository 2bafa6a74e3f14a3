import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import {
  claimNextTask,
  enqueueTask,
  listHeldAttempts,
  nextRetryDueAt,
  registerRunner,
  takeOverExpiredTasks,
} from "../../src/db/queries/index.js";
import { attempts, events, runners, tasks } from "../../src/db/schema.js";
import { createTestDatabase } from "../support/db.js";
import { taskInput } from "./fixtures.js";

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => database?.close());
beforeEach(async () => {
  await db.delete(tasks);
  await db.delete(runners);
});

async function runningTaskOf(runnerId: string) {
  await registerRunner(db, { id: runnerId, hostname: "h", pid: 1, capacity: 4, leaseMs: 60_000 });
  await enqueueTask(db, taskInput());
  const claim = await claimNextTask(db, { runnerId, leaseMs: 60_000 });
  if (!claim) throw new Error("nothing claimed");
  return claim;
}

/** Moves a runner's and its tasks' leases into the past, as if it died `agoMs` ago. */
async function expire(runnerId: string, agoMs: number) {
  const past = sql`now() - ${agoMs} * interval '1 millisecond'`;
  await db.update(runners).set({ leaseExpiresAt: past }).where(eq(runners.id, runnerId));
  await db.update(tasks).set({ leaseExpiresAt: past }).where(eq(tasks.leaseOwner, runnerId));
}

describe("a runner's held attempts", () => {
  it("lists the running attempts whose lease the runner still holds", async () => {
    const claim = await runningTaskOf("a");
    await runningTaskOf("b");
    const held = await listHeldAttempts(db, "a");
    expect(held.map((h) => [h.task.id, h.attempt.id])).toEqual([[claim.task.id, claim.attempt.id]]);
  });
});

describe("taking over from a dead runner", () => {
  it("leaves a live runner's tasks alone", async () => {
    await runningTaskOf("a");
    expect(await takeOverExpiredTasks(db, { graceMs: 1_000, sweeper: "b" })).toEqual([]);
  });

  it("waits for the grace period past the lease, so the old agent is gone first", async () => {
    await runningTaskOf("a");
    await expire("a", 500);
    expect(await takeOverExpiredTasks(db, { graceMs: 5_000, sweeper: "b" })).toEqual([]);
  });

  it("requeues a dead runner's task, marks its attempt lost and fences the old lease", async () => {
    const { task, attempt } = await runningTaskOf("a");
    await expire("a", 10_000);
    expect(await takeOverExpiredTasks(db, { graceMs: 5_000, sweeper: "b" })).toEqual([task.id]);

    const [after] = await db.select().from(tasks).where(eq(tasks.id, task.id));
    expect(after).toMatchObject({ state: "queued", leaseOwner: null, leaseToken: null });
    const [lost] = await db.select().from(attempts).where(eq(attempts.id, attempt.id));
    expect(lost).toMatchObject({ state: "finished", outcome: "lost" });
    const takenOver = await db.select().from(events).where(eq(events.kind, "taken_over"));
    expect(takenOver[0]?.data).toMatchObject({ previousOwner: "a", sweeper: "b" });

    const again = await claimNextTask(db, { runnerId: "b", leaseMs: 60_000 });
    expect(again?.task.id).toBe(task.id);
    expect(again?.attempt.number).toBe(2);
    expect(again?.task.leaseToken).not.toBe(task.leaseToken);
  });

  it("does not take over while the runner's own lease is still fresh", async () => {
    const { task } = await runningTaskOf("a");
    await db
      .update(tasks)
      .set({ leaseExpiresAt: sql`now() - interval '1 hour'` })
      .where(eq(tasks.id, task.id));
    expect(await takeOverExpiredTasks(db, { graceMs: 0, sweeper: "b" })).toEqual([]);
  });

  it("lets only one of many concurrent sweepers act", async () => {
    await runningTaskOf("a");
    await runningTaskOf("a");
    await expire("a", 10_000);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        takeOverExpiredTasks(db, { graceMs: 0, sweeper: `s${i}` }),
      ),
    );
    expect(results.flat()).toHaveLength(2);
  });
});

describe("retry timing", () => {
  it("reports when the earliest waiting task falls due", async () => {
    expect(await nextRetryDueAt(db)).toBeNull();
    const { task } = await enqueueTask(db, taskInput());
    await db
      .update(tasks)
      .set({ state: "retry_wait", runAfter: sql`now() + interval '42 seconds'` })
      .where(eq(tasks.id, task?.id ?? -1));
    const due = await nextRetryDueAt(db);
    expect(due && due.getTime() - Date.now()).toBeGreaterThan(30_000);
  });
});
