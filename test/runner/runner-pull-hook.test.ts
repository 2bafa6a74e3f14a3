import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClock } from "../../src/config/clock.js";
import { getTask, listAttempts, listEvents } from "../../src/db/queries/index.js";
import { type Task, tasks } from "../../src/db/schema.js";
import { transitionTask } from "../../src/db/transition.js";
import { worktreeDirFor } from "../../src/runner/attempt-meta.js";
import { Runner } from "../../src/runner/runner.js";
import { taskInput } from "../db/fixtures.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { fakeGitHub } from "./support/fake-github.js";
import { gitRemote } from "./support/git-remote.js";
import { tempDir } from "./support/temp-dir.js";
import { waitFor } from "./support/wait-for.js";

const root = tempDir();
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

describe("Runner and the pr_open hook", () => {
  it("keeps tracking work the hook queued while the attempt that opened the PR winds down", async () => {
    const { db } = database;
    const repo = gitRemote(root, "acme/hooked");
    const release = join(root, "release-the-fix");
    // The first attempt implements; the fix the hook queues waits for the test to let it finish.
    const script = `if grep -q 'address the review' "$1"; then
  while [ ! -f '${release}' ]; do sleep 0.05; done
  echo fixed > fix.txt
else
  printf '# API!\\n' > README.md
fi`;
    const [queued] = await db
      .insert(tasks)
      .values({
        ...taskInput({
          repoFullName: repo.repoFullName,
          issueNumber: 3,
          cloneUrl: repo.cloneUrl,
          config: {
            agent: { adapter: "command", command: ["sh", "-c", script, "agent", "{promptFile}"] },
          },
        }),
        state: "queued",
      })
      .returning();
    if (!queued) throw new Error("no task");

    const hooked: Array<Pick<Task, "state" | "headSha" | "work">> = [];
    let wakeupsWhenFirstHookDone: number | null = null;
    const dataDir = join(root, "data");
    const runner = new Runner({
      db,
      databaseUrl: database.url,
      dataDir,
      clock: createClock(1),
      log: pino({ level: process.env.TEST_LOG ?? "silent" }),
      github: fakeGitHub().factory,
      capacity: 2,
      hostEnv: {},
      // Stands in for the policy: the first PR head gets a review asking for changes.
      afterPullOpened: async (task) => {
        hooked.push({ state: task.state, headSha: task.headSha, work: task.work });
        if (hooked.length > 1) return;
        await db.transaction(async (tx) => {
          await transitionTask(tx, {
            taskId: task.id,
            to: "queued",
            from: ["pr_open"],
            set: { work: "fix", workContext: "Please add fix.txt", fixAttempts: 1 },
          });
          await tx.execute(sql`select pg_notify('fleet_task_queued', ${String(task.id)})`);
        });
        // the same runner claims the fix and starts its agent before this attempt has finished
        await waitFor("the fix's agent to start", async () => {
          const events = await listEvents(db, task.id);
          return events.filter((e) => e.kind === "agent_started").length === 2;
        });
        wakeupsWhenFirstHookDone = runner.wakeups;
      },
    });
    await runner.start();
    try {
      // A finished attempt wakes the runner once it is fully gone.
      await waitFor("the first attempt to wind down", () => {
        if (wakeupsWhenFirstHookDone === null) return false;
        return (
          runner.wakeups > wakeupsWhenFirstHookDone &&
          !existsSync(worktreeDirFor(dataDir, queued.id, 1))
        );
      });
      // The fix waits for the release file: the runner must still hold it (its lease file,
      // its cancel signal) now that the attempt that opened the PR is gone.
      expect(runner.activeAttempts).toBe(1);
      expect((await getTask(db, queued.id))?.state).toBe("running");
      const drained = runner.drain().then(() => getTask(db, queued.id));
      writeFileSync(release, "");
      const settled = await drained;
      expect(settled?.state).toBe("pr_open");
      expect((await listAttempts(db, queued.id)).map((a) => a.outcome)).toEqual([
        "succeeded",
        "succeeded",
      ]);
      expect(hooked.map((h) => [h.state, h.work])).toEqual([
        ["pr_open", "implement"],
        ["pr_open", "fix"],
      ]);
      expect(hooked[1]?.headSha).toBe(repo.sha(`refs/heads/${settled?.branch}`));
      expect(repo.show(settled?.headSha ?? "", "fix.txt")).toBe("fixed");
    } finally {
      writeFileSync(release, "");
      await runner.stop();
    }
  });
});
