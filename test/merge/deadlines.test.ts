import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { tasks } from "../../src/db/schema.js";
import type { PullGitHubFactory } from "../../src/github/pull-github.js";
import { evaluatePull, sweepDeadlines } from "../../src/merge/index.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { FakePullGitHub } from "./support/fake-github.js";
import { lines, manualClock, mergeDeps, openPullTask, reload } from "./support/tasks.js";

let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});
// Each test sweeps the whole table: start from none.
beforeEach(async () => {
  await db.delete(tasks);
});

const HOUR = 3_600_000;

/** One fake GitHub for every repo the sweep asks about. */
function factoryFor(gh: FakePullGitHub): PullGitHubFactory & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    forRepo: async (_installationId, repo) => {
      asked.push(repo);
      return gh;
    },
  };
}

describe("checks that stay pending", () => {
  it("are flagged once after policy.checksTimeout, with a comment", async () => {
    const clock = manualClock();
    const deps = mergeDeps(db, clock);
    const task = await openPullTask(db);
    const pr = task.prNumber ?? -1;
    const gh = new FakePullGitHub();
    gh.addPull({ number: pr, headSha: "a1" });
    gh.files.set(pr, [lines(5)]);
    gh.setCheck("a1", "test", "pending");
    await evaluatePull(deps, gh, task.id);
    const deadline = (await reload(db, task.id)).checksDeadlineAt;
    expect(deadline?.getTime()).toBe(clock.now() + 2 * HOUR);

    const early = await sweepDeadlines(deps, factoryFor(gh));
    expect(early.flagged).toEqual([]);
    expect(early.nextDueAt).toEqual(deadline);

    clock.advance(2 * HOUR);
    const due = await sweepDeadlines(deps, factoryFor(gh));
    expect(due.flagged).toEqual([task.id]);
    expect(due.nextDueAt).toBeNull();
    const after = await reload(db, task.id);
    expect(after.state).toBe("needs_review");
    expect(after.flaggedReason).toBe("required checks still pending after 2h (waiting for test)");
    expect(after.checksDeadlineAt).toBeNull();
    expect(gh.commentsOn(pr)).toHaveLength(1);

    expect((await sweepDeadlines(deps, factoryFor(gh))).flagged).toEqual([]);
    expect(gh.commentsOn(pr)).toHaveLength(1);

    // Flagged on this head: a later green check alone does not merge it.
    gh.setCheck("a1", "test", "success");
    expect(await evaluatePull(deps, gh, task.id)).toMatchObject({ step: "hold" });
    expect(gh.merges).toEqual([]);
  });

  it("two concurrent sweepers flag it once", async () => {
    const clock = manualClock();
    const deps = mergeDeps(db, clock);
    const task = await openPullTask(db, {
      set: { checksDeadlineAt: new Date(clock.now() - 1000), decisionReason: "waiting for ci" },
    });
    const gh = new FakePullGitHub();
    const results = await Promise.all([
      sweepDeadlines(deps, factoryFor(gh)),
      sweepDeadlines(deps, factoryFor(gh)),
      sweepDeadlines(deps, factoryFor(gh)),
    ]);
    expect(results.flatMap((r) => r.flagged)).toEqual([task.id]);
    expect(gh.comments).toHaveLength(1);
  });
});

describe("post-merge deadline", () => {
  async function merged(clock: ReturnType<typeof manualClock>) {
    const mergeSha = `m${Math.random().toString(36).slice(2, 10)}`;
    const task = await openPullTask(db, {
      state: "merged",
      set: { mergeSha, verifyDeadlineAt: new Date(clock.now() + HOUR) },
    });
    return { task, mergeSha, pr: task.prNumber ?? -1 };
  }

  it("no check at all by the deadline: verified with a note, issue closed", async () => {
    const clock = manualClock();
    const deps = mergeDeps(db, clock);
    const { task, pr } = await merged(clock);
    const gh = new FakePullGitHub();
    gh.issues.set(task.issueNumber, "open");

    const early = await sweepDeadlines(deps, factoryFor(gh));
    expect(early.settled).toEqual([]);
    expect(early.nextDueAt?.getTime()).toBe(clock.now() + HOUR);

    clock.advance(HOUR);
    const due = await sweepDeadlines(deps, factoryFor(gh));
    expect(due.settled).toEqual([{ kind: "verified", taskId: task.id, withoutChecks: true }]);
    expect((await reload(db, task.id)).state).toBe("verified");
    expect(gh.commentsOn(pr)[0]).toContain("within 1h");
    expect(gh.issues.get(task.issueNumber)).toBe("closed");
  });

  it("checks still running at the deadline are left to their events, and not swept again", async () => {
    const clock = manualClock();
    const deps = mergeDeps(db, clock);
    const { task, mergeSha } = await merged(clock);
    const gh = new FakePullGitHub();
    gh.setCheck(mergeSha, "ci", "pending");
    clock.advance(HOUR + 1);
    const factory = factoryFor(gh);
    expect((await sweepDeadlines(deps, factory)).settled).toEqual([
      { kind: "pending", taskId: task.id },
    ]);
    const after = await reload(db, task.id);
    expect(after.state).toBe("merged");
    expect(after.verifyDeadlineAt).toBeNull();
    await sweepDeadlines(deps, factory);
    expect(factory.asked).toHaveLength(1);
  });

  it("a red result found at the deadline reverts as the webhook would", async () => {
    const clock = manualClock();
    const deps = mergeDeps(db, clock);
    const { task, mergeSha } = await merged(clock);
    const gh = new FakePullGitHub();
    gh.setCheck(mergeSha, "ci", "failure");
    clock.advance(HOUR);
    const due = await sweepDeadlines(deps, factoryFor(gh));
    expect(due.settled).toEqual([expect.objectContaining({ kind: "reverted", taskId: task.id })]);
    const count = await db.execute<{ n: number }>(
      sql`select count(*)::int as n from tasks where revert_of_task_id = ${task.id}`,
    );
    expect(count.rows[0]?.n).toBe(1);
  });
});
