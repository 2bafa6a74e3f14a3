import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { listen, notifyInTx, TASK_CANCELLED } from "../../src/db/notify.js";
import { finishAttempt } from "../../src/db/queries/attempts.js";
import { type CancelNotice, cancelActiveTask } from "../../src/db/queries/cancel.js";
import { claimNextTask } from "../../src/db/queries/claim.js";
import { enqueueTask } from "../../src/db/queries/enqueue.js";
import { getTask, listEvents } from "../../src/db/queries/read.js";
import { attempts } from "../../src/db/schema.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { countRows, firstCallback, taskInput } from "./fixtures.js";

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

describe("cancelActiveTask", () => {
  it("cancels a running task, closes its attempt and tells the runner holding it", async () => {
    const input = taskInput({ repoFullName: "cancel/running" });
    await enqueueTask(db, input);
    const claim = await claimNextTask(db, { runnerId: "runner-a", leaseMs: 60_000 });
    if (!claim) throw new Error("nothing claimed");

    const heard = firstCallback<{ channel: string; payload: string }>();
    const listener = await listen(database.url, [TASK_CANCELLED], (channel, payload) =>
      heard.callback({ channel, payload }),
    );
    try {
      const task = await cancelActiveTask(db, {
        repoFullName: "cancel/running",
        issueNumber: input.issueNumber,
        reason: "unlabeled",
      });
      expect(task).toMatchObject({ id: claim.task.id, state: "cancelled", leaseOwner: "runner-a" });

      const message = await heard.promise;
      expect(message.channel).toBe(TASK_CANCELLED);
      const notice = JSON.parse(message.payload) as CancelNotice;
      expect(notice).toEqual({ taskId: claim.task.id, leaseOwner: "runner-a" });
    } finally {
      await listener.close();
    }

    const [attempt] = await db.select().from(attempts);
    expect(attempt).toMatchObject({ state: "finished", outcome: "cancelled" });
    const evs = await listEvents(db, claim.task.id);
    expect(evs.at(-1)).toMatchObject({
      kind: "cancelled",
      fromState: "running",
      toState: "cancelled",
      data: { reason: "unlabeled" },
    });

    // The runner's own finish afterwards is fenced out and changes nothing.
    const late = await finishAttempt(db, {
      attemptId: claim.attempt.id,
      taskId: claim.task.id,
      leaseToken: claim.attempt.leaseToken,
      outcome: "cancelled",
      signal: "SIGTERM",
      to: "cancelled",
    });
    expect(late).toBeNull();
    expect(await listEvents(db, claim.task.id)).toHaveLength(evs.length);
  });

  it("cancels a queued task", async () => {
    const input = taskInput({ repoFullName: "cancel/queued" });
    const { task } = await enqueueTask(db, input);
    const cancelled = await cancelActiveTask(db, {
      repoFullName: "cancel/queued",
      issueNumber: input.issueNumber,
      reason: "closed",
    });
    expect(cancelled).toMatchObject({ id: task?.id, state: "cancelled", leaseOwner: null });
  });

  it("leaves a task that already opened a PR alone", async () => {
    const input = taskInput({ repoFullName: "cancel/pr" });
    await enqueueTask(db, input);
    const claim = await claimNextTask(db, { runnerId: "r", leaseMs: 60_000 });
    if (!claim) throw new Error("nothing claimed");
    await finishAttempt(db, {
      attemptId: claim.attempt.id,
      taskId: claim.task.id,
      leaseToken: claim.attempt.leaseToken,
      outcome: "succeeded",
      to: "pr_open",
    });
    const result = await cancelActiveTask(db, {
      repoFullName: "cancel/pr",
      issueNumber: input.issueNumber,
      reason: "closed",
    });
    expect(result).toBeNull();
    expect((await getTask(db, claim.task.id))?.state).toBe("pr_open");
  });

  it("does nothing for an issue without a task, or for a redelivered webhook", async () => {
    expect(
      await cancelActiveTask(db, { repoFullName: "cancel/none", issueNumber: 1, reason: "closed" }),
    ).toBeNull();

    const input = taskInput({ repoFullName: "cancel/dup" });
    await enqueueTask(db, input);
    await db.execute(
      sql`insert into webhook_deliveries (delivery_id, event) values ('seen', 'issues')`,
    );
    const result = await cancelActiveTask(db, {
      repoFullName: "cancel/dup",
      issueNumber: input.issueNumber,
      reason: "closed",
      deliveryId: "seen",
    });
    expect(result).toBeNull();
    expect(await countRows(db, sql`select 1 from tasks where state = 'queued'`)).toBe(1);
  });
});

describe("listen", () => {
  it("delivers a notify only when its transaction commits", async () => {
    const received: string[] = [];
    const committed = firstCallback<void>();
    const listener = await listen(database.url, ["fleet_test_tx"], (_c, payload) => {
      received.push(payload);
      if (payload === "committed") committed.callback();
    });
    try {
      await expect(
        db.transaction(async (tx) => {
          await notifyInTx(tx, "fleet_test_tx", "rolled-back");
          throw new Error("abort");
        }),
      ).rejects.toThrow("abort");
      await db.transaction((tx) => notifyInTx(tx, "fleet_test_tx", "committed"));
      await committed.promise;
      // Notifications arrive in commit order, so the rolled-back one would have come first.
      expect(received).toEqual(["committed"]);
    } finally {
      await listener.close();
    }
  });

  it("reconnects after its connection is killed, calls onReconnect and keeps listening", async () => {
    const reconnected = firstCallback<void>();
    const payloads: string[] = [];
    let afterReconnect = firstCallback<void>();
    const listener = await listen(
      database.pool,
      ["fleet_test_reconnect"],
      (_c, payload) => {
        payloads.push(payload);
        afterReconnect.callback();
      },
      { onReconnect: () => reconnected.callback(), minBackoffMs: 10 },
    );
    try {
      const { rows } = await db.execute<{ killed: boolean }>(sql`
        select pg_terminate_backend(pid) as killed from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid()
          and query ilike 'listen%'`);
      expect(rows.map((r) => r.killed)).toEqual([true]);
      await reconnected.promise;

      afterReconnect = firstCallback<void>();
      await db.execute(sql`select pg_notify('fleet_test_reconnect', 'still here')`);
      await afterReconnect.promise;
      expect(payloads).toEqual(["still here"]);
    } finally {
      await listener.close();
    }
  });
});
