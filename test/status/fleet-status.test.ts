import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import {
  claimNextTask,
  enqueueTask,
  pauseRepo,
  recordAttemptHeartbeat,
  registerRunner,
} from "../../src/db/queries/index.js";
import { tasks } from "../../src/db/schema.js";
import { collectStatus, formatStatus } from "../../src/status/fleet-status.js";
import { taskInput } from "../db/fixtures.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";

let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => database?.close());

describe("fleet status", () => {
  it("shows tasks by state, running agents with their heartbeat, runners and paused repos", async () => {
    await registerRunner(db, {
      id: "r1",
      hostname: "host-a",
      pid: 11,
      capacity: 4,
      leaseMs: 60_000,
    });
    for (let i = 0; i < 3; i++) await enqueueTask(db, taskInput());
    const claim = await claimNextTask(db, { runnerId: "r1", leaseMs: 60_000 });
    if (!claim) throw new Error("nothing claimed");
    await recordAttemptHeartbeat(db, {
      attemptId: claim.attempt.id,
      leaseToken: claim.attempt.leaseToken,
    });
    const [failed] = await enqueueTask(db, taskInput()).then((r) => [r.task]);
    if (!failed) throw new Error("no task");
    await db.update(tasks).set({ state: "failed" }).where(eq(tasks.id, failed.id));
    await pauseRepo(db, { repoFullName: "octo/repo", installationId: 7, reason: "red build" });
    await db.execute(sql`update repo_states set paused_at = now() - interval '90 seconds'`);

    const status = await collectStatus(db);
    expect(status.tasksByState).toMatchObject({ queued: 2, running: 1, failed: 1, merged: 0 });
    expect(status.running).toEqual([
      expect.objectContaining({
        taskId: claim.task.id,
        repo: "octo/repo",
        attempt: 1,
        runner: "r1",
      }),
    ]);
    expect(status.running[0]?.heartbeatAgeMs).toBeGreaterThanOrEqual(0);
    expect(status.runners).toEqual([
      expect.objectContaining({ id: "r1", hostname: "host-a", pid: 11, capacity: 4 }),
    ]);
    expect(status.runners[0]?.leaseLeftMs).toBeGreaterThan(50_000);
    expect(status.pausedRepos).toEqual([
      { repo: "octo/repo", sinceMs: expect.any(Number), reason: "red build" },
    ]);
    expect(status.pausedRepos[0]?.sinceMs).toBeGreaterThanOrEqual(90_000);

    const text = formatStatus(status);
    expect(text).toMatch(/^state\s+count\nqueued\s+2\nrunning\s+1\nfailed\s+1$/m);
    expect(text).toMatch(
      new RegExp(`${claim.task.id}\\s+octo/repo#\\d+\\s+1\\s+r1\\s+\\S+\\s+\\S+ ago`),
    );
    expect(text).toMatch(/r1\s+host-a\s+11\s+4\s+active\s+\S+ left/);
    expect(text).toMatch(/octo\/repo\s+1m3\ds\s+red build/);
  });
});
