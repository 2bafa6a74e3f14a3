import { eq } from "drizzle-orm";
import { pino } from "pino";
import { beforeAll, describe, expect, it } from "vitest";
import { readDashboardView } from "../../src/dashboard-issue/snapshot.js";
import { bodyHash, syncDashboardIssue } from "../../src/dashboard-issue/sync.js";
import type { Db } from "../../src/db/client.js";
import { enqueueTask, insertRevertTask, pauseRepo } from "../../src/db/queries/index.js";
import { repoStates, type Task, tasks } from "../../src/db/schema.js";
import { taskInput } from "../db/fixtures.js";
import { useTestDatabase } from "../support/db.js";
import { fakeIssues } from "./support.js";

const database = useTestDatabase({ truncate: ["events", "tasks", "repo_states"] });
let db: Db;
const log = pino({ level: "silent" });
const REPO = "octo/dash";

beforeAll(() => {
  db = database.db;
});

async function addTask(
  issueNumber: number,
  set: Partial<Task> = {},
  config: Record<string, unknown> = {},
): Promise<Task> {
  const { task } = await enqueueTask(
    db,
    taskInput({ repoFullName: REPO, issueNumber, issueTitle: `Issue ${issueNumber}`, config }),
  );
  if (!task) throw new Error("not enqueued");
  if (Object.keys(set).length === 0) return task;
  const [updated] = await db.update(tasks).set(set).where(eq(tasks.id, task.id)).returning();
  if (!updated) throw new Error("not updated");
  return updated;
}

const issuesIn = (list: ReadonlyArray<{ issue: number }>) => list.map((t) => t.issue);

async function stored() {
  const [row] = await db.select().from(repoStates).where(eq(repoStates.repoFullName, REPO));
  return row;
}

describe("the dashboard view", () => {
  it("puts each task in its section, with the banners of a paused repo and a broken config", async () => {
    await addTask(1);
    await addTask(2, { state: "running", attempt: 2 });
    await addTask(3, { state: "retry_wait", attempt: 1 });
    await addTask(4, { state: "needs_review", prNumber: 40, flaggedReason: "412 lines changed" });
    await addTask(5, { state: "pr_open", prNumber: 50, decision: "waiting" });
    await addTask(
      6,
      { state: "pr_open", prNumber: 60, decision: "mergeable" },
      { policy: { autoMerge: false } },
    );
    await addTask(7, { state: "failed", attempt: 3, lastError: "the agent crashed" });
    // An old failure the issue has moved past is not retryable any more, so not shown.
    await addTask(8, { state: "failed" });
    await addTask(8, { state: "cancelled" });
    const merged = await addTask(9, { state: "reverted", prNumber: 90, mergeSha: "abc" });
    const { task: revert } = await insertRevertTask(db, {
      original: merged,
      revertSha: "abc",
      reason: "red CI",
    });
    await db.update(tasks).set({ state: "merged", prNumber: 91 }).where(eq(tasks.id, revert.id));
    await addTask(10, { state: "merging", prNumber: 100 });
    await pauseRepo(db, { repoFullName: REPO, installationId: 7, reason: "CI failed on main" });
    await db
      .update(repoStates)
      .set({
        configErrors: [{ path: "agent.timeout", message: "bad", line: 2 }],
        configErrorIssue: 77,
      })
      .where(eq(repoStates.repoFullName, REPO));

    const view = await readDashboardView(db, REPO);
    expect(issuesIn(view.queued)).toEqual([1, 3]);
    expect(issuesIn(view.running)).toEqual([2]);
    expect(view.awaitingReview.map((t) => [t.issue, t.note])).toEqual([
      [4, "412 lines changed"],
      [6, expect.stringContaining("policy.autoMerge is off")],
    ]);
    expect(issuesIn(view.openPulls)).toEqual([5, 10]);
    expect(view.failed.map((t) => [t.issue, t.attempt, t.note])).toEqual([
      [7, 3, "the agent crashed"],
    ]);
    expect(view.reverted.map((t) => [t.issue, t.pr, t.note])).toEqual([
      [9, 90, "undone by PR #91"],
    ]);
    expect(view.paused?.reason).toBe("CI failed on main");
    expect(view.configError).toEqual({ problems: 1, issue: 77 });
  });
});

describe("syncDashboardIssue", () => {
  const deps = () => ({ db, log });

  it("opens no issue in a repository the fleet never worked in", async () => {
    const gh = fakeIssues();
    expect(await syncDashboardIssue(deps(), gh.factory, REPO)).toEqual({ kind: "no-tasks" });
    expect(gh.writes).toEqual([]);
  });

  it("opens the issue once, then writes only a changed body", async () => {
    const gh = fakeIssues();
    const first = await addTask(1);
    expect(await syncDashboardIssue(deps(), gh.factory, REPO)).toEqual({
      kind: "created",
      issue: 100,
    });
    const issue = gh.issues.get(100);
    expect(issue?.title).toBe("agent-fleet dashboard");
    expect(issue?.body).toContain("- #1 Issue 1");
    expect(await stored()).toMatchObject({
      dashboardIssue: 100,
      dashboardBodyHash: bodyHash(issue?.body ?? ""),
    });

    expect(await syncDashboardIssue(deps(), gh.factory, REPO)).toEqual({
      kind: "unchanged",
      issue: 100,
    });
    await db.update(tasks).set({ state: "failed" }).where(eq(tasks.id, first.id));
    expect(await syncDashboardIssue(deps(), gh.factory, REPO)).toMatchObject({
      kind: "updated",
      issue: 100,
      superseded: false,
    });
    expect(gh.issues.get(100)?.body).toContain(`<!-- fleet-retry:${first.id} --> retry #1`);
    expect(gh.writes).toEqual(["create #100", "update #100"]);
  });

  it("reopens an issue someone closed at the next change, and replaces a deleted one", async () => {
    const gh = fakeIssues();
    const task = await addTask(1);
    await syncDashboardIssue(deps(), gh.factory, REPO);
    const closed = gh.issues.get(100);
    if (closed) closed.state = "closed";
    await db.update(tasks).set({ state: "failed" }).where(eq(tasks.id, task.id));
    await syncDashboardIssue(deps(), gh.factory, REPO);
    expect(gh.issues.get(100)?.state).toBe("open");

    gh.issues.delete(100);
    await addTask(2);
    expect(await syncDashboardIssue(deps(), gh.factory, REPO)).toEqual({
      kind: "created",
      issue: 101,
    });
    expect(gh.issues.get(101)?.body).toContain("- #2 Issue 2");
    expect((await stored())?.dashboardIssue).toBe(101);
  });

  it("gives the claim back when GitHub fails, so the next sync writes the body", async () => {
    const gh = fakeIssues();
    const task = await addTask(1);
    await syncDashboardIssue(deps(), gh.factory, REPO);
    const before = (await stored())?.dashboardBodyHash;
    await db.update(tasks).set({ state: "failed" }).where(eq(tasks.id, task.id));
    gh.failures.update = 1;
    await expect(syncDashboardIssue(deps(), gh.factory, REPO)).rejects.toThrow("Bad gateway");
    expect((await stored())?.dashboardBodyHash).toBe(before);
    expect(await syncDashboardIssue(deps(), gh.factory, REPO)).toMatchObject({ kind: "updated" });
    expect(gh.issues.get(100)?.body).toContain("retry #1");
  });

  it("closes the issue when the repo turns the dashboard off, and opens none while off", async () => {
    const gh = fakeIssues();
    await addTask(1);
    await syncDashboardIssue(deps(), gh.factory, REPO);
    await addTask(2, {}, { dashboard: false });
    expect(await syncDashboardIssue(deps(), gh.factory, REPO)).toEqual({
      kind: "closed",
      issue: 100,
    });
    expect(gh.issues.get(100)?.state).toBe("closed");
    expect(await stored()).toMatchObject({ dashboardIssue: null, dashboardBodyHash: null });
    expect(await syncDashboardIssue(deps(), gh.factory, REPO)).toEqual({ kind: "off" });
    expect(gh.writes).toEqual(["create #100", "close #100"]);
  });

  it("takes `dashboard` from the webhook's fleet.yml over the snapshot when given", async () => {
    const gh = fakeIssues();
    await addTask(1);
    await syncDashboardIssue(deps(), gh.factory, REPO);
    expect(await syncDashboardIssue(deps(), gh.factory, REPO, { enabled: false })).toEqual({
      kind: "closed",
      issue: 100,
    });
  });

  it("rewrites an unchanged body when forced (an older body may have landed over it)", async () => {
    const gh = fakeIssues();
    await addTask(1);
    await syncDashboardIssue(deps(), gh.factory, REPO);
    expect(await syncDashboardIssue(deps(), gh.factory, REPO, { force: true })).toMatchObject({
      kind: "updated",
      superseded: false,
    });
    expect(gh.writes).toEqual(["create #100", "update #100"]);
  });
});
