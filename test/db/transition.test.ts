import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { claimNextTask } from "../../src/db/queries/claim.js";
import { enqueueTask } from "../../src/db/queries/enqueue.js";
import { getTask, listEvents } from "../../src/db/queries/read.js";
import { transitionTask } from "../../src/db/transition.js";
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

/** Each test works on its own repo; the one claim test outranks the others' queued tasks. */
async function queuedTask(repo: string, priority = 0) {
  const { task } = await enqueueTask(db, taskInput({ repoFullName: repo, priority }));
  if (!task) throw new Error("enqueue returned no task");
  return task;
}

describe("transitionTask", () => {
  it("moves the task and writes one event with from and to", async () => {
    const task = await queuedTask("t/moves");
    const failed = await transitionTask(db, {
      taskId: task.id,
      to: "failed",
      set: { lastError: "boom" },
      event: { kind: "gave_up", data: { why: "test" } },
    });
    expect(failed?.state).toBe("failed");
    expect(failed?.lastError).toBe("boom");
    expect(failed?.updatedAt.getTime()).toBeGreaterThanOrEqual(task.updatedAt.getTime());

    const evs = await listEvents(db, task.id);
    expect(evs.map((e) => [e.kind, e.fromState, e.toState])).toEqual([
      ["enqueued", null, "queued"],
      ["gave_up", "queued", "failed"],
    ]);
    expect(evs[1]?.data).toEqual({ why: "test" });
  });

  it("returns null and writes nothing when the task is not in an allowed from-state", async () => {
    const task = await queuedTask("t/guard");
    const moved = await transitionTask(db, { taskId: task.id, to: "pr_open" });
    expect(moved).toBeNull();
    expect((await getTask(db, task.id))?.state).toBe("queued");
    expect(await listEvents(db, task.id)).toHaveLength(1);

    const narrowed = await transitionTask(db, {
      taskId: task.id,
      to: "failed",
      from: ["retry_wait"],
    });
    expect(narrowed).toBeNull();
    expect((await getTask(db, task.id))?.state).toBe("queued");
  });

  it("throws on a from-state the table does not allow, and on entering running", async () => {
    const task = await queuedTask("t/illegal");
    await expect(
      transitionTask(db, { taskId: task.id, to: "merged", from: ["queued"] }),
    ).rejects.toThrow("illegal task transition queued -> merged");
    await expect(transitionTask(db, { taskId: task.id, to: "running" })).rejects.toThrow(
      "claimNextTask",
    );
    expect((await getTask(db, task.id))?.state).toBe("queued");
  });

  it("is fenced by the lease token", async () => {
    await queuedTask("t/fence", 100);
    const claim = await claimNextTask(db, { runnerId: "r-fence", leaseMs: 60_000 });
    if (!claim) throw new Error("nothing claimed");
    expect(claim.task.repoFullName).toBe("t/fence");
    const before = (await listEvents(db, claim.task.id)).length;

    const stale = await transitionTask(db, {
      taskId: claim.task.id,
      to: "retry_wait",
      leaseToken: randomUUID(),
    });
    expect(stale).toBeNull();
    expect((await getTask(db, claim.task.id))?.state).toBe("running");
    expect(await listEvents(db, claim.task.id)).toHaveLength(before);

    const owned = await transitionTask(db, {
      taskId: claim.task.id,
      to: "retry_wait",
      leaseToken: claim.attempt.leaseToken,
    });
    expect(owned?.state).toBe("retry_wait");
    expect(await listEvents(db, claim.task.id)).toHaveLength(before + 1);
  });

  it("lets exactly one of many concurrent movers win", async () => {
    const task = await queuedTask("t/concurrent");
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        transitionTask(db, {
          taskId: task.id,
          to: i % 2 === 0 ? "cancelled" : "failed",
          from: ["queued"],
        }),
      ),
    );
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    const evs = await listEvents(db, task.id);
    expect(evs.filter((e) => e.fromState === "queued")).toHaveLength(1);
  });

  it("runs inside a caller's transaction and rolls back with it", async () => {
    const task = await queuedTask("t/rollback");
    await expect(
      db.transaction(async (tx) => {
        const moved = await transitionTask(tx, { taskId: task.id, to: "cancelled" });
        expect(moved?.state).toBe("cancelled");
        throw new Error("caller aborts");
      }),
    ).rejects.toThrow("caller aborts");
    expect((await getTask(db, task.id))?.state).toBe("queued");
    expect(await listEvents(db, task.id)).toHaveLength(1);
  });
});
