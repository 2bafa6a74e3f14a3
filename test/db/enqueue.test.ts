import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../src/db/client.js";
import { listen, TASK_QUEUED } from "../../src/db/notify.js";
import { recordDelivery } from "../../src/db/queries/deliveries.js";
import { recordDeliveryOnce } from "../../src/db/queries/delivery-once.js";
import { enqueueTask } from "../../src/db/queries/enqueue.js";
import { findActiveTask, listEvents } from "../../src/db/queries/read.js";
import { transitionTask } from "../../src/db/transition.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { countRows, firstCallback, taskInput } from "./fixtures.js";

let database: TestDatabase;
let db: Db;
/** A second pool wide enough for 20 truly concurrent transactions. */
let wide: { db: Db; close(): Promise<void> };

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  wide = createDb(database.url, { max: 20 });
});
afterAll(async () => {
  await wide?.close();
  await database?.close();
});

const tasksOf = (repo: string, issue: number) =>
  sql`select 1 from tasks where repo_full_name = ${repo} and issue_number = ${issue}`;
const enqueuedEventsOf = (repo: string, issue: number) =>
  sql`select 1 from events e join tasks t on t.id = e.task_id
      where t.repo_full_name = ${repo} and t.issue_number = ${issue} and e.kind = 'enqueued'`;

describe("enqueueTask", () => {
  it("queues a task with its enqueued event and notifies runners on commit", async () => {
    const heard = firstCallback<string>();
    const listener = await listen(database.url, [TASK_QUEUED], (_channel, payload) =>
      heard.callback(payload),
    );
    try {
      const result = await enqueueTask(db, taskInput({ repoFullName: "enq/basic", priority: 3 }));
      expect(result.created).toBe(true);
      expect(result.duplicateDelivery).toBe(false);
      expect(result.task).toMatchObject({ state: "queued", priority: 3, attempt: 0 });
      expect(await heard.promise).toBe(String(result.task?.id));
      const evs = await listEvents(db, result.task?.id ?? -1);
      expect(evs.map((e) => [e.kind, e.fromState, e.toState])).toEqual([
        ["enqueued", null, "queued"],
      ]);
    } finally {
      await listener.close();
    }
  });

  it("gives one task when one issue is labeled 20 times at once (distinct deliveries)", async () => {
    const input = taskInput({ repoFullName: "enq/race" });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        enqueueTask(wide.db, { ...input, deliveryId: `race-distinct-${i}` }),
      ),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(results.every((r) => !r.duplicateDelivery)).toBe(true);
    expect(new Set(results.map((r) => r.task?.id)).size).toBe(1);
    expect(await countRows(db, tasksOf("enq/race", input.issueNumber))).toBe(1);
    expect(await countRows(db, enqueuedEventsOf("enq/race", input.issueNumber))).toBe(1);
    expect(
      await countRows(
        db,
        sql`select 1 from webhook_deliveries where delivery_id like 'race-distinct-%'`,
      ),
    ).toBe(20);
  });

  it("gives one task when the same delivery arrives 20 times at once", async () => {
    const input = taskInput({ repoFullName: "enq/redeliver", deliveryId: "same-delivery" });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => enqueueTask(wide.db, input)),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(results.filter((r) => r.duplicateDelivery)).toHaveLength(19);
    expect(new Set(results.map((r) => r.task?.id)).size).toBe(1);
    expect(await countRows(db, tasksOf("enq/redeliver", input.issueNumber))).toBe(1);
    expect(await countRows(db, enqueuedEventsOf("enq/redeliver", input.issueNumber))).toBe(1);
  });

  it("returns the active task when labeled again, and a new one once it is over", async () => {
    const input = taskInput({ repoFullName: "enq/again" });
    const first = await enqueueTask(db, input);
    const again = await enqueueTask(db, input);
    expect(again).toMatchObject({ created: false, duplicateDelivery: false });
    expect(again.task?.id).toBe(first.task?.id);

    await transitionTask(db, { taskId: first.task?.id ?? -1, to: "cancelled" });
    const fresh = await enqueueTask(db, input);
    expect(fresh.created).toBe(true);
    expect(fresh.task?.id).not.toBe(first.task?.id);
    expect((await findActiveTask(db, "enq/again", input.issueNumber))?.id).toBe(fresh.task?.id);
    expect(await countRows(db, tasksOf("enq/again", input.issueNumber))).toBe(2);
  });

  it("treats a redelivery after the task ended as a duplicate with no task", async () => {
    const input = taskInput({ repoFullName: "enq/late", deliveryId: "late-delivery" });
    const first = await enqueueTask(db, input);
    await transitionTask(db, { taskId: first.task?.id ?? -1, to: "failed" });
    const late = await enqueueTask(db, input);
    expect(late).toEqual({ task: null, created: false, duplicateDelivery: true });
    expect(await countRows(db, tasksOf("enq/late", input.issueNumber))).toBe(1);
  });
});

describe("webhook delivery dedupe", () => {
  it("records a delivery id once", async () => {
    expect(await recordDelivery(db, { deliveryId: "d-1", event: "issues", action: "closed" })).toBe(
      true,
    );
    expect(await recordDelivery(db, { deliveryId: "d-1", event: "issues", action: "closed" })).toBe(
      false,
    );
    expect(
      await countRows(db, sql`select 1 from webhook_deliveries where delivery_id = 'd-1'`),
    ).toBe(1);
  });

  it("runs a delivery's side effect once, and again only if it failed", async () => {
    let calls = 0;
    const once = (fail: boolean) =>
      recordDeliveryOnce(db, "d-effect", "issues", "labeled", {
        kind: "refused",
        data: { who: "mallory" },
        effect: async () => {
          calls++;
          if (fail) throw new Error("GitHub said no");
        },
      });
    await expect(once(true)).rejects.toThrow("GitHub said no");
    expect(
      await countRows(db, sql`select 1 from webhook_deliveries where delivery_id = 'd-effect'`),
    ).toBe(0);
    expect(await once(false)).toBe(true);
    expect(await once(false)).toBe(false);
    expect(calls).toBe(2);
    const { rows } = await db.execute<{ data: Record<string, unknown> }>(
      sql`select data from events where kind = 'refused'`,
    );
    expect(rows.map((r) => r.data)).toEqual([{ deliveryId: "d-effect", who: "mallory" }]);
  });
});
