import { sql } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClock } from "../../src/config/clock.js";
import type { Db } from "../../src/db/client.js";
import {
  claimNextTask,
  enqueueTask,
  finishAttempt,
  insertRevertTask,
  pauseRepo,
  recordEvent,
  resumeRepo,
  takeOverExpiredTasks,
} from "../../src/db/queries/index.js";
import { type Task, tasks } from "../../src/db/schema.js";
import { TASK_STATES } from "../../src/db/task-states.js";
import { inTransaction, transitionTask } from "../../src/db/transition.js";
import { type OpsServer, startOpsServer } from "../../src/http/ops-server.js";
import { flagTask, recordMerged } from "../../src/merge/task-actions.js";
import { metricsRoute } from "../../src/metrics/route.js";
import { countRows, taskInput } from "../db/fixtures.js";
import { useTestDatabase } from "../support/db.js";
import { moved, type Scrape, scrape } from "./support/scrape.js";

const log = pino({ level: process.env.TEST_LOG ?? "silent" });
const database = useTestDatabase();
let db: Db;
let server: OpsServer;

beforeAll(async () => {
  db = database.db;
  const started = await startOpsServer({
    db,
    log,
    port: 0,
    host: "127.0.0.1",
    routes: [metricsRoute(db)],
  });
  if (!started) throw new Error("the ops server did not start");
  server = started;
});
afterAll(async () => {
  await server?.close();
});

const metrics = () => scrape(server.url);

let nextRepo = 1;
let nextPriority = 0;

/** A running task of its own repo, claimed ahead of anything else still queued (reverts too). */
async function runningTask() {
  const repoFullName = `metrics/r${nextRepo++}`;
  nextPriority += 1_000;
  await enqueueTask(db, taskInput({ repoFullName, priority: nextPriority }));
  const claim = await claimNextTask(db, { runnerId: "runner-m", leaseMs: 60_000 });
  if (!claim || claim.task.repoFullName !== repoFullName) throw new Error("claimed another task");
  return claim;
}

async function finish(
  claim: Awaited<ReturnType<typeof runningTask>>,
  outcome: string,
  to: Task["state"],
) {
  return finishAttempt(db, {
    attemptId: claim.attempt.id,
    taskId: claim.task.id,
    leaseToken: claim.attempt.leaseToken,
    outcome,
    to,
  });
}

describe("tasks and repos read from the database at scrape time", () => {
  it("reports every state, matching the tasks table, and moves with an enqueue", async () => {
    const before = await metrics();
    expect(before.contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
    for (const state of TASK_STATES) expect(before.has("fleet_tasks", { state })).toBe(true);
    expect(before.value("fleet_database_up")).toBe(1);

    const { created } = await enqueueTask(db, taskInput({ repoFullName: "metrics/gauge" }));
    expect(created).toBe(true);
    const after = await metrics();
    expect(moved(before, after, "fleet_tasks", { state: "queued" })).toBe(1);
    const queuedInDb = await countRows(db, sql`select 1 from ${tasks} where state = 'queued'`);
    expect(after.value("fleet_tasks", { state: "queued" })).toBe(queuedInDb);
  });

  it("counts paused repos until they are resumed", async () => {
    const before = await metrics();
    const repo = { repoFullName: "metrics/paused", installationId: 7, reason: "red" };
    expect(await pauseRepo(db, repo)).toBe(true);
    const paused = await metrics();
    expect(moved(before, paused, "fleet_repos_paused")).toBe(1);
    expect(moved(before, paused, "fleet_events_total", { kind: "repo_paused" })).toBe(1);

    expect(await resumeRepo(db, repo.repoFullName, "octocat")).toBe(true);
    const resumed = await metrics();
    expect(resumed.value("fleet_repos_paused")).toBe(before.value("fleet_repos_paused"));
    expect(moved(before, resumed, "fleet_events_total", { kind: "repo_resumed" })).toBe(1);
  });
});

describe("counters driven by the events rows written", () => {
  it("counts a created task once, and nothing for a redelivered label", async () => {
    const input = taskInput({ repoFullName: "metrics/enqueue", deliveryId: "delivery-metrics-1" });
    const before = await metrics();
    expect((await enqueueTask(db, input)).created).toBe(true);
    const once = await metrics();
    expect(moved(before, once, "fleet_tasks_enqueued_total", { kind: "issue" })).toBe(1);
    expect(moved(before, once, "fleet_events_total", { kind: "enqueued" })).toBe(1);

    expect((await enqueueTask(db, input)).duplicateDelivery).toBe(true);
    const again = await metrics();
    expect(moved(once, again, "fleet_tasks_enqueued_total", { kind: "issue" })).toBe(0);
    expect(moved(once, again, "fleet_events_total", { kind: "enqueued" })).toBe(0);
  });

  it.each([
    ["stalled", "fleet_attempts_stalled_total"],
    ["timed_out", "fleet_attempts_timed_out_total"],
    ["crashed", "fleet_attempts_crashed_total"],
  ])("counts an attempt that %s in its own counter only", async (outcome, counter) => {
    const claim = await runningTask();
    const before = await metrics();
    expect(await finish(claim, outcome, "retry_wait")).not.toBeNull();
    const after = await metrics();
    expect(moved(before, after, counter)).toBe(1);
    expect(moved(before, after, "fleet_events_total", { kind: "attempt_finished" })).toBe(1);
    const others = [
      "fleet_attempts_stalled_total",
      "fleet_attempts_timed_out_total",
      "fleet_attempts_crashed_total",
      "fleet_pulls_flagged_total",
    ].filter((name) => name !== counter);
    for (const name of others) expect(moved(before, after, name), name).toBe(0);
    expect(moved(before, after, "fleet_attempts_lost_total", { via: "runner" })).toBe(0);
  });

  it("counts a lost attempt, whether its runner found it or another took it over", async () => {
    const found = await runningTask();
    const before = await metrics();
    await finish(found, "lost", "retry_wait");
    const afterFound = await metrics();
    expect(moved(before, afterFound, "fleet_attempts_lost_total", { via: "runner" })).toBe(1);

    // A runner that is gone: its task's lease ran out and no runners row backs it.
    const orphan = await runningTask();
    await db
      .update(tasks)
      .set({ leaseExpiresAt: sql`now() - interval '1 minute'` })
      .where(sql`${tasks.id} = ${orphan.task.id}`);
    expect(await takeOverExpiredTasks(db, { graceMs: 0, sweeper: "runner-n" })).toEqual([
      orphan.task.id,
    ]);
    const afterTakeover = await metrics();
    expect(moved(afterFound, afterTakeover, "fleet_attempts_lost_total", { via: "takeover" })).toBe(
      1,
    );
    expect(moved(afterFound, afterTakeover, "fleet_attempts_lost_total", { via: "runner" })).toBe(
      0,
    );
  });

  it("writes nothing and counts nothing for an attempt fenced out by its lease", async () => {
    const claim = await runningTask();
    await finish(claim, "crashed", "retry_wait");
    const before = await metrics();
    expect(await finish(claim, "crashed", "retry_wait")).toBeNull();
    const after = await metrics();
    expect(moved(before, after, "fleet_attempts_crashed_total")).toBe(0);
    expect(moved(before, after, "fleet_events_total", { kind: "attempt_finished" })).toBe(0);
  });

  it("counts agent starts by work kind and adoptions", async () => {
    const claim = await runningTask();
    const before = await metrics();
    const at = { taskId: claim.task.id, attemptId: claim.attempt.id };
    await recordEvent(db, { ...at, kind: "agent_started", data: { work: "fix" } });
    await recordEvent(db, { ...at, kind: "agent_started", data: { work: "implement" } });
    await recordEvent(db, { ...at, kind: "agent_started", data: { work: "fix" } });
    await recordEvent(db, { ...at, kind: "adopted", data: { pid: 1 } });
    const after = await metrics();
    expect(moved(before, after, "fleet_dispatches_total", { work: "fix" })).toBe(2);
    expect(moved(before, after, "fleet_dispatches_total", { work: "implement" })).toBe(1);
    expect(moved(before, after, "fleet_agents_adopted_total")).toBe(1);
  });

  it("follows a PR through flag, merge and revert", async () => {
    const ctx = { db, log, clock: createClock(1) };
    const claim = await runningTask();
    const opened = await finish(claim, "succeeded", "pr_open");
    if (!opened) throw new Error("the attempt did not finish");
    const before = await metrics();

    const flagged = await flagTask(db, opened, "checks pending too long");
    if (!flagged) throw new Error("not flagged");
    // The same reason again changes nothing and counts nothing.
    expect(await flagTask(db, flagged, "checks pending too long")).toBeNull();
    const merged = await recordMerged(ctx, flagged, "abc123", "fleet");
    if (!merged) throw new Error("not merged");
    await inTransaction(db, async (tx) => {
      const reverted = await transitionTask(tx, {
        taskId: merged.id,
        to: "reverted",
        from: ["merged"],
        event: { kind: "reverted", data: { mergeSha: "abc123" } },
      });
      if (!reverted) throw new Error("not reverted");
      await insertRevertTask(tx, { original: reverted, revertSha: "abc123", reason: "red" });
    });
    const after = await metrics();

    expect(moved(before, after, "fleet_pulls_flagged_total")).toBe(1);
    expect(moved(before, after, "fleet_merges_total", { by: "fleet" })).toBe(1);
    expect(moved(before, after, "fleet_merges_total", { by: "human" })).toBe(0);
    expect(moved(before, after, "fleet_reverts_total")).toBe(1);
    expect(moved(before, after, "fleet_tasks_enqueued_total", { kind: "revert" })).toBe(1);
    expect(moved(before, after, "fleet_tasks_enqueued_total", { kind: "issue" })).toBe(0);
  });

  it("counts a PR handed to humans when work on it runs out of attempts", async () => {
    const claim = await runningTask();
    const before = await metrics();
    expect(await finish(claim, "timed_out", "needs_review")).not.toBeNull();
    const after = await metrics();
    expect(moved(before, after, "fleet_pulls_flagged_total")).toBe(1);
    expect(moved(before, after, "fleet_attempts_timed_out_total")).toBe(1);
  });

  it("counts a merge by a human apart from the fleet's", async () => {
    const claim = await runningTask();
    const opened = await finish(claim, "succeeded", "pr_open");
    if (!opened) throw new Error("the attempt did not finish");
    const before = await metrics();
    await recordMerged({ db, log, clock: createClock(1) }, opened, "def456", "octocat");
    const after = await metrics();
    expect(moved(before, after, "fleet_merges_total", { by: "human" })).toBe(1);
    expect(moved(before, after, "fleet_merges_total", { by: "fleet" })).toBe(0);
  });
});

describe("counting only what committed", () => {
  it("counts an event written in a transaction once the transaction commits", async () => {
    const claim = await runningTask();
    const before = await metrics();
    let insideTransaction: Scrape | undefined;
    await inTransaction(db, async (tx) => {
      await recordEvent(tx, { taskId: claim.task.id, kind: "adopted" });
      insideTransaction = await metrics();
    });
    const after = await metrics();
    if (!insideTransaction) throw new Error("no scrape inside the transaction");
    expect(moved(before, insideTransaction, "fleet_agents_adopted_total")).toBe(0);
    expect(moved(before, after, "fleet_agents_adopted_total")).toBe(1);
  });

  it("counts nothing for a transaction that rolled back", async () => {
    const claim = await runningTask();
    const before = await metrics();
    await expect(
      inTransaction(db, async (tx) => {
        await recordEvent(tx, { taskId: claim.task.id, kind: "adopted" });
        await transitionTask(tx, {
          taskId: claim.task.id,
          to: "cancelled",
          from: ["running"],
          event: { kind: "cancelled" },
        });
        throw new Error("roll it back");
      }),
    ).rejects.toThrow("roll it back");
    const after = await metrics();
    expect(moved(before, after, "fleet_agents_adopted_total")).toBe(0);
    expect(moved(before, after, "fleet_events_total", { kind: "cancelled" })).toBe(0);
    expect(moved(before, after, "fleet_events_total", { kind: "adopted" })).toBe(0);
  });

  it("holds an enqueue made inside an outer transaction until that one commits or rolls back", async () => {
    const before = await metrics();
    await expect(
      inTransaction(db, async (tx) => {
        await enqueueTask(tx, taskInput({ repoFullName: "metrics/nested-rollback" }));
        throw new Error("roll the outer one back");
      }),
    ).rejects.toThrow("roll the outer one back");
    const rolledBack = await metrics();
    expect(moved(before, rolledBack, "fleet_tasks_enqueued_total", { kind: "issue" })).toBe(0);

    await inTransaction(db, async (tx) => {
      await enqueueTask(tx, taskInput({ repoFullName: "metrics/nested-commit" }));
    });
    const committed = await metrics();
    expect(moved(before, committed, "fleet_tasks_enqueued_total", { kind: "issue" })).toBe(1);
  });
});
