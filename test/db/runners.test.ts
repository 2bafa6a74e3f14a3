import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { recordAttemptHeartbeat, recordAttemptProcess } from "../../src/db/queries/attempts.js";
import { claimNextTask } from "../../src/db/queries/claim.js";
import { enqueueTask } from "../../src/db/queries/enqueue.js";
import { recordEvent } from "../../src/db/queries/events.js";
import { getTask, listEvents, listTasks } from "../../src/db/queries/read.js";
import {
  registerRunner,
  renewRunnerLease,
  renewTaskLeases,
  stopRunner,
} from "../../src/db/queries/runners.js";
import { attempts, runners } from "../../src/db/schema.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { taskInput } from "./fixtures.js";

let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

describe("runner leases", () => {
  it("registers, renews, re-registers and stops a runner", async () => {
    const first = await registerRunner(db, {
      id: "host-a",
      hostname: "a",
      pid: 10,
      capacity: 2,
      leaseMs: 1_000,
    });
    expect(first).toMatchObject({ id: "host-a", state: "active", capacity: 2 });
    expect(first.leaseExpiresAt.getTime()).toBeGreaterThan(first.heartbeatAt.getTime());

    expect(await renewRunnerLease(db, "host-a", 600_000)).toBe(true);
    const [renewed] = await db.select().from(runners);
    expect(renewed?.leaseExpiresAt.getTime()).toBeGreaterThan(first.leaseExpiresAt.getTime());

    const again = await registerRunner(db, {
      id: "host-a",
      hostname: "a",
      pid: 11,
      capacity: 4,
      leaseMs: 1_000,
    });
    expect(again).toMatchObject({ pid: 11, capacity: 4, state: "active" });

    await stopRunner(db, "host-a");
    expect(await renewRunnerLease(db, "host-a", 1_000)).toBe(false);
    const [stopped] = await db.select().from(runners);
    expect(stopped?.state).toBe("stopped");
    expect(await renewRunnerLease(db, "nobody", 1_000)).toBe(false);
  });

  it("extends only the leases of the runner's own running tasks", async () => {
    await enqueueTask(db, taskInput({ repoFullName: "lease/a" }));
    await enqueueTask(db, taskInput({ repoFullName: "lease/b" }));
    const mine = await claimNextTask(db, { runnerId: "me", leaseMs: 1_000 });
    const theirs = await claimNextTask(db, { runnerId: "them", leaseMs: 1_000 });
    if (!mine || !theirs) throw new Error("claims missing");

    expect(await renewTaskLeases(db, "me", 600_000)).toBe(1);
    const mineAfter = await getTask(db, mine.task.id);
    const theirsAfter = await getTask(db, theirs.task.id);
    expect(mineAfter?.leaseExpiresAt?.getTime()).toBeGreaterThan(Date.now() + 500_000);
    expect(theirsAfter?.leaseExpiresAt?.getTime()).toBe(theirs.task.leaseExpiresAt?.getTime());
  });
});

describe("attempt bookkeeping", () => {
  it("records the agent process and heartbeats, fenced by the lease token", async () => {
    await enqueueTask(db, taskInput({ repoFullName: "proc/repo", priority: 10 }));
    const claim = await claimNextTask(db, { runnerId: "r", leaseMs: 60_000 });
    if (!claim) throw new Error("nothing claimed");
    const proc = { pid: 4242, pidStartTime: 123456789012n, dir: "/tmp/attempt-1" };
    const ids = { attemptId: claim.attempt.id, leaseToken: claim.attempt.leaseToken };

    expect(await recordAttemptProcess(db, { ...ids, ...proc })).toBe(true);
    expect(await recordAttemptHeartbeat(db, ids)).toBe(true);
    const stale = {
      attemptId: claim.attempt.id,
      leaseToken: "00000000-0000-4000-8000-000000000000",
    };
    expect(await recordAttemptProcess(db, { ...stale, ...proc, pid: 1 })).toBe(false);
    expect(await recordAttemptHeartbeat(db, stale)).toBe(false);

    const [row] = await db.select().from(attempts).where(sql`${attempts.id} = ${claim.attempt.id}`);
    expect(row).toMatchObject(proc);
    expect(row?.lastHeartbeatAt).toBeInstanceOf(Date);
  });

  it("records non-transition events and lists tasks newest first", async () => {
    const { task } = await enqueueTask(db, taskInput({ repoFullName: "events/repo" }));
    if (!task) throw new Error("no task");
    const event = await recordEvent(db, {
      taskId: task.id,
      kind: "comment_posted",
      data: { url: "x" },
    });
    expect(event).toMatchObject({ kind: "comment_posted", fromState: null, toState: null });
    expect((await listEvents(db, task.id)).map((e) => e.kind)).toEqual([
      "enqueued",
      "comment_posted",
    ]);
    const listed = await listTasks(db);
    expect(listed[0]?.id).toBe(task.id);
    expect(listed.map((t) => t.id)).toEqual([...listed.map((t) => t.id)].sort((a, b) => b - a));
  });
});
