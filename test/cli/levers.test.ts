import { readdir, rm } from "node:fs/promises";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { listen, TASK_CANCELLED, TASK_QUEUED } from "../../src/db/notify.js";
import {
  claimNextTask,
  enqueueTask,
  getRepoState,
  getTask,
  listEvents,
  pauseRepo,
} from "../../src/db/queries/index.js";
import { attempts, tasks } from "../../src/db/schema.js";
import type { TaskState } from "../../src/db/task-states.js";
import { firstCallback, taskInput } from "../db/fixtures.js";
import { useTestDatabase } from "../support/db.js";
import { emptyWorkdir, runFleet } from "./run-fleet.js";

const database = useTestDatabase({
  truncate: ["tasks", "attempts", "events", "webhook_deliveries", "repo_states"],
});
let db: Db;
let cwd: string;

beforeAll(async () => {
  db = database.db;
  cwd = await emptyWorkdir();
});
afterAll(async () => {
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

const fleet = (...args: string[]) => runFleet(args, { cwd, env: { DATABASE_URL: database.url } });

async function taskIn(repo: string, state: TaskState) {
  const { task } = await enqueueTask(db, taskInput({ repoFullName: repo }));
  if (!task) throw new Error("nothing enqueued");
  if (state !== "queued") await db.update(tasks).set({ state }).where(eq(tasks.id, task.id));
  return task;
}

describe("fleet retry", () => {
  it("queues a failed task again, recorded as the operator's request", async () => {
    const task = await taskIn("cli/retry", "failed");
    const run = await fleet("retry", `cli/retry#${task.issueNumber}`);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`task ${task.id} is queued again`);
    expect(await getTask(db, task.id)).toMatchObject({ state: "queued", lastError: null });
    const retried = (await listEvents(db, task.id)).find((e) => e.kind === "retry_requested");
    expect(retried).toMatchObject({ fromState: "failed", toState: "queued" });
    expect(retried?.data).toMatchObject({ by: expect.stringMatching(/^cli:/) });
  });

  it("refuses a task that is still active, and leaves it alone", async () => {
    const task = await taskIn("cli/retry-active", "pr_open");
    const run = await fleet("retry", `cli/retry-active#${task.issueNumber}`);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`task ${task.id} is pr_open, still active`);
    expect(await getTask(db, task.id)).toMatchObject({ state: "pr_open" });
  });

  it("refuses a task that finished well", async () => {
    const task = await taskIn("cli/retry-done", "verified");
    const run = await fleet("retry", `cli/retry-done#${task.issueNumber}`);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("is verified; only a failed task can be retried");
  });

  it("says so when the fleet never had a task for the issue", async () => {
    const run = await fleet("retry", "cli/nowhere#404");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("cli/nowhere#404: no agent-fleet task for this issue");
  });

  it("rejects a malformed reference before touching the database", async () => {
    const cases = [
      [["retry", "cli-retry-12"], "is not an issue reference; expected owner/repo#number"],
      [["cancel", "cli/retry#0"], "is not an issue reference"],
      [["resume", "cli/retry#3"], "is not a repository; expected owner/repo"],
    ] as const;
    // No DATABASE_URL: reaching the database would start an embedded one in cwd.
    const runs = await Promise.all(cases.map(([args]) => runFleet([...args], { cwd })));
    cases.forEach(([args, expected], i) => {
      expect(runs[i]?.code, args.join(" ")).toBe(2);
      expect(runs[i]?.stderr).toContain(expected);
    });
    expect(await readdir(cwd)).toEqual([]);
  });
});

describe("fleet cancel", () => {
  it("cancels a running task and tells the runner holding it to stop the agent", async () => {
    const task = await taskIn("cli/cancel", "queued");
    const claim = await claimNextTask(db, { runnerId: "runner-cli", leaseMs: 60_000 });
    expect(claim?.task.id).toBe(task.id);

    const heard = firstCallback<string>();
    const listener = await listen(database.url, [TASK_CANCELLED], (_channel, payload) =>
      heard.callback(payload),
    );
    try {
      const run = await fleet("cancel", `cli/cancel#${task.issueNumber}`);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`task ${task.id} cancelled; runner runner-cli stops its agent`);
      expect(JSON.parse(await heard.promise)).toEqual({
        taskId: task.id,
        leaseOwner: "runner-cli",
      });
    } finally {
      await listener.close();
    }
    expect(await getTask(db, task.id)).toMatchObject({ state: "cancelled" });
    const [attempt] = await db.select().from(attempts).where(eq(attempts.taskId, task.id));
    expect(attempt).toMatchObject({ state: "finished", outcome: "cancelled" });
  });

  it("also stops the fleet's handling of an open PR, addressed by the PR's number", async () => {
    const task = await taskIn("cli/cancel-pr", "pr_open");
    await db.update(tasks).set({ prNumber: 900 }).where(eq(tasks.id, task.id));
    const run = await fleet("cancel", "cli/cancel-pr#900");
    expect(run.code).toBe(0);
    expect(await getTask(db, task.id)).toMatchObject({ state: "cancelled" });
  });

  it("refuses a task that already ended", async () => {
    const task = await taskIn("cli/cancel-done", "merged");
    const run = await fleet("cancel", `cli/cancel-done#${task.issueNumber}`);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`task ${task.id} is merged; only a task that is queued,`);
    expect(await getTask(db, task.id)).toMatchObject({ state: "merged" });
  });
});

describe("fleet resume", () => {
  it("clears the pause and wakes the runners", async () => {
    await taskIn("cli/paused", "queued");
    await pauseRepo(db, { repoFullName: "cli/paused", installationId: 7, reason: "red build" });

    const heard = firstCallback<string>();
    const listener = await listen(database.url, [TASK_QUEUED], (_channel, payload) =>
      heard.callback(payload),
    );
    try {
      const run = await fleet("resume", "cli/paused");
      expect(run.code).toBe(0);
      expect(run.stdout).toContain("cli/paused: resumed");
      expect(await heard.promise).toBe("cli/paused");
    } finally {
      await listener.close();
    }
    expect(await getRepoState(db, "cli/paused")).toMatchObject({ pausedAt: null });
  });

  it("fails for a repository that is not paused, or that the fleet does not know", async () => {
    await taskIn("cli/running-fine", "queued");
    const [notPaused, unknown] = await Promise.all([
      fleet("resume", "cli/running-fine"),
      fleet("resume", "cli/never-seen"),
    ]);
    expect(notPaused.code).toBe(1);
    expect(notPaused.stderr).toContain("cli/running-fine: not paused; nothing to resume");

    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no agent-fleet task in this repository");
  });
});
