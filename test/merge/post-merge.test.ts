import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { listEvents } from "../../src/db/queries/read.js";
import { getRepoState } from "../../src/db/queries/repo-states.js";
import { tasks } from "../../src/db/schema.js";
import { TASK_LOCK_SPACE, withTaskLock } from "../../src/db/task-lock.js";
import { onDefaultBranchChecks, postMergeState } from "../../src/merge/index.js";
import { waitFor } from "../runner/support/wait-for.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { FakePullGitHub } from "./support/fake-github.js";
import { manualClock, mergeDeps, openPullTask, reload } from "./support/tasks.js";

/** Task locks of this test file's own database (pg_locks lists the whole cluster's). */
const HERE = sql`database = (select oid from pg_database where datname = current_database()) and classid = ${TASK_LOCK_SPACE}`;

let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

describe("postMergeState", () => {
  it.each([
    ["no check", [], "none"],
    ["all green", [{ name: "ci", state: "success" }], "green"],
    [
      "skipped and neutral pass",
      [
        { name: "a", state: "skipped" },
        { name: "b", state: "neutral" },
      ],
      "green",
    ],
    [
      "one still running",
      [
        { name: "a", state: "success" },
        { name: "b", state: "pending" },
      ],
      "pending",
    ],
    [
      "a failure beats pending",
      [
        { name: "a", state: "failure" },
        { name: "b", state: "pending" },
      ],
      "red",
    ],
  ] as const)("%s -> %s", (_name, checks, kind) => {
    expect(postMergeState(checks).kind).toBe(kind);
  });

  it("names the failed checks", () => {
    expect(postMergeState([{ name: "e2e", state: "failure" }])).toEqual({
      kind: "red",
      failed: ["e2e"],
    });
  });
});

/** A merged task of its own repo, with its issue still open on the fake. */
async function mergedTask(kind: "issue" | "revert" = "issue", repo?: string) {
  const name = repo ?? `octo/m${Math.random().toString(36).slice(2, 8)}`;
  const mergeSha = `m${Math.random().toString(36).slice(2, 10)}`;
  const task = await openPullTask(db, {
    repo: name,
    kind,
    state: "merged",
    set: { mergeSha, mergedAt: new Date(), headSha: "a1" },
  });
  const gh = new FakePullGitHub(name);
  gh.issues.set(task.issueNumber, "open");
  const deps = mergeDeps(db, manualClock());
  return { task, gh, deps, mergeSha, repo: name, pr: task.prNumber ?? -1 };
}

describe("the default branch after a merge", () => {
  it("red: reverted, a revert task queued with its event, the repo paused, PR and issue told", async () => {
    const { task, gh, deps, mergeSha, repo, pr } = await mergedTask();
    gh.setCheck(mergeSha, "build", "success");
    gh.setCheck(mergeSha, "e2e", "failure");

    const [outcome] = await onDefaultBranchChecks(deps, gh, repo, mergeSha);

    expect(outcome).toMatchObject({ kind: "reverted", taskId: task.id });
    expect((await reload(db, task.id)).state).toBe("reverted");
    const [revert] = await db
      .select()
      .from(tasks)
      .where(and(eq(tasks.revertOfTaskId, task.id), eq(tasks.kind, "revert")));
    expect(revert).toMatchObject({
      state: "queued",
      kind: "revert",
      work: "revert",
      revertSha: mergeSha,
      repoFullName: repo,
      issueNumber: task.issueNumber,
    });
    expect(revert?.issueBody).toContain("e2e");
    const revertEvents = await listEvents(db, revert?.id ?? -1);
    expect(revertEvents.map((e) => [e.kind, e.toState])).toEqual([["enqueued", "queued"]]);
    const state = await getRepoState(db, repo);
    expect(state?.pausedAt).toBeInstanceOf(Date);
    expect(state?.pausedByTaskId).toBe(task.id);
    expect(gh.commentsOn(pr)).toHaveLength(1);
    expect(gh.commentsOn(task.issueNumber)).toHaveLength(1);
    expect(gh.commentsOn(pr)[0]).toContain("/fleet resume");

    // A later event on the same commit changes nothing.
    expect(await onDefaultBranchChecks(deps, gh, repo, mergeSha)).toEqual([]);
    expect(gh.comments).toHaveLength(2);
  });

  it("green: verified, and the issue closed when GitHub did not close it", async () => {
    const { task, gh, deps, mergeSha, repo } = await mergedTask();
    gh.setCheck(mergeSha, "ci", "success");
    const [outcome] = await onDefaultBranchChecks(deps, gh, repo, mergeSha);
    expect(outcome).toMatchObject({ kind: "verified", withoutChecks: false });
    expect((await reload(db, task.id)).state).toBe("verified");
    expect(gh.issues.get(task.issueNumber)).toBe("closed");
    expect(gh.writes).toEqual([`closeIssue #${task.issueNumber}`]);
  });

  it("green with the issue already closed: nothing to close", async () => {
    const { task, gh, deps, mergeSha, repo } = await mergedTask();
    gh.issues.set(task.issueNumber, "closed");
    gh.setCheck(mergeSha, "ci", "success");
    await onDefaultBranchChecks(deps, gh, repo, mergeSha);
    expect((await reload(db, task.id)).state).toBe("verified");
    expect(gh.writes).toEqual([]);
  });

  it("pending: the task keeps waiting", async () => {
    const { task, gh, deps, mergeSha, repo } = await mergedTask();
    gh.setCheck(mergeSha, "ci", "success");
    gh.setCheck(mergeSha, "slow", "pending");
    const [outcome] = await onDefaultBranchChecks(deps, gh, repo, mergeSha);
    expect(outcome).toMatchObject({ kind: "pending" });
    expect((await reload(db, task.id)).state).toBe("merged");
    expect(gh.writes).toEqual([]);
  });

  it("a red revert is flagged, never reverted again; the repo stays paused", async () => {
    const { task, gh, deps, mergeSha, repo, pr } = await mergedTask("revert");
    gh.setCheck(mergeSha, "ci", "failure");
    const [outcome] = await onDefaultBranchChecks(deps, gh, repo, mergeSha);
    expect(outcome).toMatchObject({ kind: "revert_red" });
    const after = await reload(db, task.id);
    expect(after.state).toBe("merged");
    expect(after.flaggedReason).toContain("still red");
    const reverts = await db.select().from(tasks).where(eq(tasks.revertOfTaskId, task.id));
    expect(reverts).toEqual([]);
    expect((await getRepoState(db, repo))?.pausedAt).toBeInstanceOf(Date);
    expect(gh.commentsOn(pr)).toHaveLength(1);

    await onDefaultBranchChecks(deps, gh, repo, mergeSha);
    expect(gh.commentsOn(pr)).toHaveLength(1);
  });

  it("a green revert is verified and leaves the issue alone", async () => {
    const { task, gh, deps, mergeSha, repo } = await mergedTask("revert");
    gh.setCheck(mergeSha, "ci", "success");
    await onDefaultBranchChecks(deps, gh, repo, mergeSha);
    expect((await reload(db, task.id)).state).toBe("verified");
    expect(gh.issues.get(task.issueNumber)).toBe("open");
  });

  it("a check that beats the evaluator recording its merge waits for it, then settles", async () => {
    const { task, gh, deps, mergeSha, repo } = await mergedTask();
    await db.update(tasks).set({ state: "merging", mergeSha: null }).where(eq(tasks.id, task.id));
    gh.setCheck(mergeSha, "ci", "success");
    let inside!: () => void;
    const entered = new Promise<void>((resolve) => {
      inside = resolve;
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const evaluator = withTaskLock(db, task.id, async (locked) => {
      inside();
      await released;
      await locked.update(tasks).set({ state: "merged", mergeSha }).where(eq(tasks.id, task.id));
    });
    await entered;
    const watch = onDefaultBranchChecks(deps, gh, repo, mergeSha);
    await waitFor("the watch to queue on the task's lock", async () => {
      const { rows } = await db.execute<{ n: number }>(
        sql`select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted and ${HERE}`,
      );
      return rows[0]?.n === 1;
    });
    release();
    await evaluator;
    expect(await watch).toEqual([{ kind: "verified", taskId: task.id, withoutChecks: false }]);
  });

  it("a commit that is no task's merge commit is ignored", async () => {
    const gh = new FakePullGitHub("octo/none");
    expect(await onDefaultBranchChecks(mergeDeps(db), gh, "octo/none", "f00")).toEqual([]);
  });
});
