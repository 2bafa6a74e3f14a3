import { join } from "node:path";
import { eq } from "drizzle-orm";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { type Clock, createClock } from "../../src/config/clock.js";
import { createDb } from "../../src/db/client.js";
import { notifyInTx, TASK_QUEUED } from "../../src/db/notify.js";
import { claimNextTask, enqueueTask, finishAttempt, getTask } from "../../src/db/queries/index.js";
import { attempts } from "../../src/db/schema.js";
import type { PullGitHubFactory } from "../../src/github/pull-github.js";
import { DeadlineSweeper } from "../../src/merge/deadline-sweeper.js";
import { observeAgentStarted, observeAttemptEnded } from "../../src/metrics/attempt-metrics.js";
import { Runner } from "../../src/runner/runner.js";
import { taskInput } from "../db/fixtures.js";
import { fakeGitHub } from "../runner/support/fake-github.js";
import { gitRemote } from "../runner/support/git-remote.js";
import { tempDir } from "../runner/support/temp-dir.js";
import { waitFor } from "../runner/support/wait-for.js";
import { useTestDatabase } from "../support/db.js";
import { moved, readRegistry } from "./support/scrape.js";

const log = pino({ level: process.env.TEST_LOG ?? "silent" });
const root = tempDir("fleet-metrics-");
const database = useTestDatabase();

/** The sweeps below find no due deadline, so no GitHub client is ever asked for. */
const noGitHub: PullGitHubFactory = {
  forRepo: () => Promise.reject(new Error("no GitHub in this test")),
};

const fixedClock = (now: number): Clock => ({ ...createClock(1), now: () => now });

describe("a runner's own metrics", () => {
  it("counts its wake-ups, claims, the agent it started, and the attempt's duration", async () => {
    const { db } = database;
    const repo = gitRemote(root, "metrics/runner");
    const before = await readRegistry();
    const { task } = await enqueueTask(
      db,
      taskInput({
        repoFullName: repo.repoFullName,
        cloneUrl: repo.cloneUrl,
        // One attempt, which crashes: the task fails and nothing is retried meanwhile.
        config: { agent: { adapter: "command", command: ["sh", "-c", "exit 3"], maxAttempts: 1 } },
      }),
    );
    if (!task) throw new Error("no task");
    const runner = new Runner({
      db,
      databaseUrl: database.url,
      dataDir: join(root, "runner-data"),
      clock: createClock(1),
      log,
      github: fakeGitHub().factory,
      capacity: 1,
      hostEnv: {},
    });
    await runner.start();
    try {
      const after = await waitFor("the crashed attempt's duration", async () => {
        const now = await readRegistry();
        const observed = moved(before, now, "fleet_attempt_duration_seconds_count", {
          outcome: "crashed",
        });
        return observed > 0 ? now : undefined;
      });
      expect((await getTask(db, task.id))?.state).toBe("failed");
      const [attempt] = await db.select().from(attempts).where(eq(attempts.taskId, task.id));
      if (!attempt?.endedAt) throw new Error("the attempt did not end");

      expect(moved(before, after, "fleet_runner_wakeups_total", { reason: "start" })).toBe(1);
      expect(moved(before, after, "fleet_runner_claim_queries_total")).toBeGreaterThanOrEqual(1);
      expect(moved(before, after, "fleet_events_total", { kind: "claimed" })).toBe(1);
      expect(moved(before, after, "fleet_dispatches_total", { work: "implement" })).toBe(1);
      expect(moved(before, after, "fleet_attempts_crashed_total")).toBe(1);
      expect(
        moved(before, after, "fleet_attempt_duration_seconds_count", { outcome: "crashed" }),
      ).toBe(1);
      const seconds = (attempt.endedAt.getTime() - attempt.startedAt.getTime()) / 1000;
      expect(
        moved(before, after, "fleet_attempt_duration_seconds_sum", { outcome: "crashed" }),
      ).toBeCloseTo(seconds, 3);
      expect(moved(before, after, "fleet_queue_latency_seconds_count")).toBe(1);
      const latency = moved(before, after, "fleet_queue_latency_seconds_sum");
      expect(latency).toBeGreaterThanOrEqual(0);
      expect(latency).toBeLessThanOrEqual((Date.now() - task.createdAt.getTime()) / 1000);

      // A NOTIFY wakes it; the claim finds nothing and starts no agent.
      const idle = await readRegistry();
      await db.transaction((tx) => notifyInTx(tx, TASK_QUEUED, "nothing"));
      const woken = await waitFor("a wake-up on NOTIFY", async () => {
        const now = await readRegistry();
        return moved(idle, now, "fleet_runner_wakeups_total", { reason: "notify" }) > 0
          ? now
          : undefined;
      });
      expect(moved(idle, woken, "fleet_runner_wakeups_total", { reason: "notify" })).toBe(1);
      expect(moved(idle, woken, "fleet_dispatches_total", { work: "implement" })).toBe(0);
    } finally {
      await runner.stop();
    }
  });
});

describe("attempt observations", () => {
  it("observes nothing for an attempt still running, and its duration once it ended", async () => {
    const { db } = database;
    await enqueueTask(db, taskInput({ repoFullName: "metrics/observe", priority: 500 }));
    const claim = await claimNextTask(db, { runnerId: "runner-o", leaseMs: 60_000 });
    if (!claim) throw new Error("nothing claimed");
    const before = await readRegistry();
    await observeAttemptEnded(db, claim.attempt.id);
    const running = await readRegistry();
    expect(
      moved(before, running, "fleet_attempt_duration_seconds_count", { outcome: "lost" }),
    ).toBe(0);

    await finishAttempt(db, {
      attemptId: claim.attempt.id,
      taskId: claim.task.id,
      leaseToken: claim.attempt.leaseToken,
      outcome: "lost",
      to: "retry_wait",
    });
    await observeAttemptEnded(db, claim.attempt.id);
    const ended = await readRegistry();
    expect(moved(before, ended, "fleet_attempt_duration_seconds_count", { outcome: "lost" })).toBe(
      1,
    );
  });

  it("measures queue latency from the task's creation, for its first attempt only", async () => {
    const { db } = database;
    await enqueueTask(db, taskInput({ repoFullName: "metrics/latency", priority: 600 }));
    const claim = await claimNextTask(db, { runnerId: "runner-o", leaseMs: 60_000 });
    if (!claim) throw new Error("nothing claimed");
    const clock = fixedClock(claim.task.createdAt.getTime() + 42_000);
    const before = await readRegistry();
    observeAgentStarted({ ...claim, clock });
    observeAgentStarted({ ...claim, attempt: { ...claim.attempt, number: 2 }, clock });
    const after = await readRegistry();
    expect(moved(before, after, "fleet_queue_latency_seconds_count")).toBe(1);
    expect(moved(before, after, "fleet_queue_latency_seconds_sum")).toBeCloseTo(42, 6);
    expect(
      moved(before, after, "fleet_queue_latency_seconds_bucket", { le: "60" }) -
        moved(before, after, "fleet_queue_latency_seconds_bucket", { le: "30" }),
    ).toBe(1);
  });
});

describe("the deadline sweeper", () => {
  it("counts each sweep, and a failed one apart", async () => {
    const before = await readRegistry();
    const sweeper = new DeadlineSweeper({ db: database.db, log, clock: createClock(1) }, noGitHub);
    sweeper.start();
    const swept = await waitFor("a deadline sweep", async () => {
      const now = await readRegistry();
      return moved(before, now, "fleet_deadline_sweeps_total", { result: "ok" }) > 0
        ? now
        : undefined;
    });
    await sweeper.stop();
    expect(moved(before, swept, "fleet_deadline_sweeps_total", { result: "error" })).toBe(0);

    const gone = createDb(database.url);
    await gone.close();
    const broken = new DeadlineSweeper({ db: gone.db, log, clock: createClock(1) }, noGitHub);
    broken.start();
    const failed = await waitFor("a failed deadline sweep", async () => {
      const now = await readRegistry();
      return moved(swept, now, "fleet_deadline_sweeps_total", { result: "error" }) > 0
        ? now
        : undefined;
    });
    await broken.stop();
    expect(moved(swept, failed, "fleet_deadline_sweeps_total", { result: "error" })).toBe(1);
  });
});
