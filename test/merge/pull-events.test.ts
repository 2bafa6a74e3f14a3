import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { pauseRepo, resumeRepo } from "../../src/db/queries/repo-states.js";
import {
  onChecksChanged,
  onPullChanged,
  onPullClosed,
  pullEvaluator,
  reevaluateRepo,
} from "../../src/merge/index.js";
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

async function setup(state?: "pr_open" | "queued" | "running") {
  const repo = `octo/e${Math.random().toString(36).slice(2, 8)}`;
  const task = await openPullTask(db, { repo, state, headSha: "a1" });
  const pr = task.prNumber ?? -1;
  const gh = new FakePullGitHub(repo);
  gh.addPull({ number: pr, headSha: "a1" });
  gh.files.set(pr, [lines(5)]);
  const deps = mergeDeps(db, manualClock());
  return { task, pr, gh, deps, repo };
}

describe("pull_request.closed", () => {
  it("closed without merging cancels the task", async () => {
    const { task, pr, gh, deps } = await setup();
    const outcome = await onPullClosed(deps, gh, {
      prNumber: pr,
      merged: false,
      mergeSha: null,
      mergedBy: null,
    });
    expect(outcome).toEqual({ kind: "cancelled", taskId: task.id });
    expect((await reload(db, task.id)).state).toBe("cancelled");
  });

  it("closed while a fix is queued cancels that work too", async () => {
    const { task, pr, gh, deps } = await setup("queued");
    await onPullClosed(deps, gh, { prNumber: pr, merged: false, mergeSha: null, mergedBy: null });
    expect((await reload(db, task.id)).state).toBe("cancelled");
  });

  it("merged by a human: merged, and its merge commit is watched like the fleet's", async () => {
    const { task, pr, gh, deps, repo } = await setup();
    const outcome = await onPullClosed(deps, gh, {
      prNumber: pr,
      merged: true,
      mergeSha: "h1",
      mergedBy: "alice",
    });
    expect(outcome).toEqual({ kind: "merged", taskId: task.id });
    const merged = await reload(db, task.id);
    expect(merged).toMatchObject({ state: "merged", mergeSha: "h1" });
    expect(merged.verifyDeadlineAt?.getTime()).toBe(deps.clock.now() + 3_600_000);

    gh.setCheck("h1", "ci", "success");
    const { settled } = await onChecksChanged(deps, gh, { sha: "h1", prNumbers: [] });
    expect(settled).toEqual([{ kind: "verified", taskId: task.id, withoutChecks: false }]);
    expect((await reload(db, task.id)).state).toBe("verified");
    expect(repo).toBe(gh.repoFullName);
  });

  it("a PR that is not the fleet's is ignored", async () => {
    const { gh, deps } = await setup();
    const outcome = await onPullClosed(deps, gh, {
      prNumber: 99_999,
      merged: false,
      mergeSha: null,
      mergedBy: null,
    });
    expect(outcome.kind).toBe("ignored");
  });
});

describe("events that re-judge a PR", () => {
  it("a push by someone else: the new head gets its own check run", async () => {
    const { task, pr, gh, deps } = await setup();
    gh.setCheck("a1", "test", "pending");
    await onPullChanged(deps, gh, pr);
    const firstRun = (await reload(db, task.id)).policyCheckRunId;

    gh.push(pr, "b2");
    gh.setCheck("b2", "test", "pending");
    expect(await onPullChanged(deps, gh, pr)).toMatchObject({
      kind: "judged",
      decision: "waiting",
    });
    const after = await reload(db, task.id);
    expect(after.headSha).toBe("b2");
    expect(after.policyCheckRunId).not.toBe(firstRun);
    expect(gh.checkRuns.get(after.policyCheckRunId ?? -1)?.headSha).toBe("b2");
  });

  it("a check on the head finds the task by its head SHA or by the PR numbers in the event", async () => {
    const { task, pr, gh, deps } = await setup();
    gh.setCheck("a1", "test", "success");
    const byNumber = await onChecksChanged(deps, gh, { sha: "zz", prNumbers: [pr] });
    expect(byNumber.judged).toEqual([
      expect.objectContaining({ taskId: task.id, state: "merged" }),
    ]);

    const other = await setup();
    other.gh.setCheck("a1", "test", "success");
    const bySha = await onChecksChanged(other.deps, other.gh, { sha: "a1", prNumbers: [] });
    expect(bySha.judged).toEqual([expect.objectContaining({ taskId: other.task.id })]);
  });

  it("a PR number the fleet does not know is not judged", async () => {
    const { gh, deps } = await setup();
    expect(await onPullChanged(deps, gh, 123_456)).toBeNull();
  });

  it("after a resume, held PRs of the repo are judged again and merge", async () => {
    const { task, pr, gh, deps, repo } = await setup();
    await pauseRepo(db, { repoFullName: repo, installationId: 7, reason: "red" });
    gh.setCheck("a1", "test", "success");
    await onPullChanged(deps, gh, pr);
    expect((await reload(db, task.id)).state).toBe("pr_open");

    await resumeRepo(db, repo, "alice");
    const outcomes = await reevaluateRepo(deps, gh);
    expect(outcomes).toEqual([expect.objectContaining({ taskId: task.id, state: "merged" })]);
  });

  it("the runner's callback judges a task through the factory", async () => {
    const { task, gh, deps } = await setup();
    gh.setCheck("a1", "test", "success");
    const asked: Array<[number, string]> = [];
    const afterPullOpened = pullEvaluator(deps, {
      forRepo: async (installationId, repo) => {
        asked.push([installationId, repo]);
        return gh;
      },
    });
    await afterPullOpened(task);
    expect((await reload(db, task.id)).state).toBe("merged");
    expect(asked).toEqual([[task.installationId, task.repoFullName]]);
  });
});
