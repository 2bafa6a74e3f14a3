import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { listEvents } from "../../src/db/queries/read.js";
import { pauseRepo, resumeRepo } from "../../src/db/queries/repo-states.js";
import { evaluatePull } from "../../src/merge/index.js";
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

const HOUR = 3_600_000;

/** One fleet PR on a fresh fake repo: `repo` keeps each test's pause state apart. */
async function setup(
  options: {
    repo?: string;
    policy?: Record<string, unknown>;
    files?: ReturnType<typeof lines>[];
    kind?: "issue" | "revert";
  } = {},
) {
  const repo = options.repo ?? `octo/r${Math.random().toString(36).slice(2, 8)}`;
  const task = await openPullTask(db, { repo, policy: options.policy, kind: options.kind });
  const gh = new FakePullGitHub(repo);
  const pr = task.prNumber ?? -1;
  gh.addPull({ number: pr, headSha: "a1" });
  gh.files.set(pr, options.files ?? [lines(5)]);
  const deps = mergeDeps(db, manualClock());
  const judge = () => evaluatePull(deps, gh, task.id);
  return { task, gh, pr, deps, judge, repo };
}

describe("a small PR with green checks", () => {
  it("merges through the merge API with the head SHA as a guard", async () => {
    const { task, gh, pr, deps, judge } = await setup();
    gh.setCheck("a1", "test", "success");

    const outcome = await judge();

    expect(outcome).toMatchObject({ kind: "judged", decision: "mergeable", state: "merged" });
    expect(gh.merges).toEqual([
      { number: pr, sha: "a1", method: "squash", title: `Work for #${pr} (#${pr})` },
    ]);
    const after = await reload(db, task.id);
    expect(after).toMatchObject({ state: "merged", headSha: "a1", decision: "mergeable" });
    expect(after.mergeSha).toMatch(/^merge/);
    expect(after.verifyDeadlineAt?.getTime()).toBe(deps.clock.now() + HOUR);
    expect(gh.pull(pr).labels).toEqual(["size/XS"]);
    const run = gh.policyRun(pr)[0];
    expect(run).toMatchObject({ status: "completed", conclusion: "success" });
    expect(after.policyCheckRunId).toBe(run?.id);
    const kinds = (await listEvents(db, task.id)).map((e) => [e.kind, e.toState]);
    expect(kinds).toContainEqual(["merging", "merging"]);
    expect(kinds).toContainEqual(["merged", "merged"]);
  });

  it("uses the configured merge method", async () => {
    const { gh, judge } = await setup({ policy: { mergeMethod: "rebase" } });
    gh.setCheck("a1", "test", "success");
    await judge();
    expect(gh.merges[0]?.method).toBe("rebase");
  });

  it("merges once when two evaluations race", async () => {
    const { task, gh, deps } = await setup();
    gh.setCheck("a1", "test", "success");
    const results = await Promise.all([
      evaluatePull(deps, gh, task.id),
      evaluatePull(deps, gh, task.id),
      evaluatePull(deps, gh, task.id),
    ]);
    expect(gh.merges).toHaveLength(1);
    expect(results.filter((r) => r.kind === "judged")).toHaveLength(1);
    expect((await reload(db, task.id)).state).toBe("merged");
  });

  it("does not merge a head that moved: back to pr_open, nothing else", async () => {
    const { task, gh, judge } = await setup();
    gh.setCheck("a1", "test", "success");
    gh.mergeAnswer = () => ({
      merged: false,
      reason: "head_moved",
      message: "Head branch was modified",
    });
    const outcome = await judge();
    expect(outcome).toMatchObject({ step: "merge", state: "pr_open" });
    const after = await reload(db, task.id);
    expect(after.state).toBe("pr_open");
    expect(after.mergeSha).toBeNull();
    expect(gh.comments).toEqual([]);
  });

  it("flags a merge GitHub refuses for another reason", async () => {
    const { task, gh, pr, judge } = await setup();
    gh.setCheck("a1", "test", "success");
    gh.mergeAnswer = () => ({
      merged: false,
      reason: "not_mergeable",
      message: "Required status check is expected",
    });
    await judge();
    const after = await reload(db, task.id);
    expect(after.state).toBe("needs_review");
    expect(after.flaggedReason).toContain("Required status check is expected");
    expect(gh.commentsOn(pr)).toHaveLength(1);
  });
});

describe("waiting for checks", () => {
  it("sets the checks deadline once, posts nothing twice, and clears it when checks pass", async () => {
    const { task, gh, pr, deps, judge } = await setup();
    gh.setCheck("a1", "test", "pending");

    expect(await judge()).toMatchObject({ decision: "waiting", step: "wait", state: "pr_open" });
    const first = await reload(db, task.id);
    expect(first.checksDeadlineAt?.getTime()).toBe(deps.clock.now() + 2 * HOUR);
    const writes = [...gh.writes];
    expect(writes).toEqual(["upsertCheckRun create", `addLabels #${pr} size/XS`]);
    expect(gh.policyRun(pr)[0]).toMatchObject({ status: "in_progress" });
    expect(gh.policyRun(pr)[0]?.conclusion).toBeUndefined();

    deps.clock.advance(60_000);
    await judge();
    expect(gh.writes).toEqual(writes);
    expect((await reload(db, task.id)).checksDeadlineAt).toEqual(first.checksDeadlineAt);

    gh.setCheck("a1", "test", "success");
    await judge();
    const after = await reload(db, task.id);
    expect(after.state).toBe("merged");
    expect(after.checksDeadlineAt).toBeNull();
  });

  it("waits when no check has reported yet", async () => {
    const { gh, judge } = await setup();
    expect(await judge()).toMatchObject({ decision: "waiting", state: "pr_open" });
    expect(gh.merges).toEqual([]);
  });
});

describe("review above the thresholds", () => {
  it("a 400-line PR needs review: label, reviewers requested, one comment", async () => {
    const { task, gh, pr, judge } = await setup({
      files: [lines(400)],
      policy: { reviewers: ["alice", "acme/core"] },
    });
    gh.setCheck("a1", "test", "success");

    expect(await judge()).toMatchObject({ decision: "needs_review", state: "needs_review" });
    expect(gh.pull(pr).labels.sort()).toEqual(["fleet:needs-review", "size/L"]);
    expect(gh.reviewRequests).toEqual([{ number: pr, reviewers: ["alice", "acme/core"] }]);
    expect(gh.commentsOn(pr)).toHaveLength(1);
    expect(gh.commentsOn(pr)[0]).toContain("400 changed lines");
    expect(gh.policyRun(pr)[0]).toMatchObject({ conclusion: "action_required" });
    expect(gh.merges).toEqual([]);

    const writes = gh.writes.length;
    await judge();
    expect(gh.writes).toHaveLength(writes);
    expect((await reload(db, task.id)).state).toBe("needs_review");
  });

  it("an approval on an older head does not count; one on the current head merges", async () => {
    const { task, gh, pr, judge } = await setup({ files: [lines(400)] });
    gh.roles.set("alice", "write");
    gh.roles.set("mallory", "read");
    gh.setCheck("a1", "test", "success");
    await judge();

    gh.addReview(pr, { user: "alice", state: "APPROVED", commitId: "a1" });
    gh.push(pr, "b2");
    gh.setCheck("b2", "test", "success");
    expect(await judge()).toMatchObject({ decision: "needs_review", state: "needs_review" });
    expect(gh.merges).toEqual([]);
    const run = gh.policyRun(pr)[0];
    expect(run?.summary).toContain("approved an older head");

    gh.addReview(pr, { user: "mallory", state: "APPROVED", commitId: "b2" });
    expect(await judge()).toMatchObject({ decision: "needs_review" });
    expect(gh.merges).toEqual([]);

    gh.addReview(pr, { user: "alice", state: "APPROVED", commitId: "b2" });
    expect(await judge()).toMatchObject({ decision: "mergeable", state: "merged" });
    expect(gh.merges).toEqual([expect.objectContaining({ sha: "b2" })]);
    expect(gh.pull(pr).labels).not.toContain("fleet:needs-review");
    expect((await reload(db, task.id)).state).toBe("merged");
  });

  it("a PR touching .github/workflows is held for review", async () => {
    const { task, gh, judge } = await setup({ files: [lines(3, ".github/workflows/ci.yml")] });
    gh.setCheck("a1", "test", "success");
    await judge();
    const after = await reload(db, task.id);
    expect(after).toMatchObject({ state: "needs_review", decision: "needs_review" });
    expect(after.decisionReason).toContain(".github/workflows/ci.yml");
    expect(gh.merges).toEqual([]);
  });

  it("CODEOWNERS paths on the base branch are protected when the config says so", async () => {
    const { task, gh, judge } = await setup({
      files: [lines(3, "billing/invoice.ts")],
      policy: { codeownersProtected: true },
    });
    gh.contents.set("main:.github/CODEOWNERS", "/billing/ @acme/billing\n");
    gh.setCheck("a1", "test", "success");
    await judge();
    expect((await reload(db, task.id)).decisionReason).toContain("billing/invoice.ts");
  });
});

describe("blocked", () => {
  it("a 2000-line PR is flagged once, with a failing check run", async () => {
    const { task, gh, pr, judge } = await setup({ files: [lines(2000)] });
    gh.setCheck("a1", "test", "success");
    expect(await judge()).toMatchObject({ decision: "blocked", step: "flag" });
    const after = await reload(db, task.id);
    expect(after.state).toBe("needs_review");
    expect(after.flaggedReason).toContain("2000 changed lines");
    expect(gh.pull(pr).labels.sort()).toEqual(["fleet:needs-review", "size/XXL"]);
    expect(gh.policyRun(pr)[0]).toMatchObject({ conclusion: "failure" });
    expect(gh.commentsOn(pr)).toHaveLength(1);

    await judge();
    expect(gh.commentsOn(pr)).toHaveLength(1);
    expect(gh.merges).toEqual([]);
  });

  it("files marked generated in the base's .gitattributes do not count", async () => {
    const { task, gh, judge } = await setup({ files: [lines(5), lines(5000, "gen/api.ts")] });
    gh.contents.set("main:.gitattributes", "gen/** linguist-generated\n");
    gh.setCheck("a1", "test", "success");
    await judge();
    expect((await reload(db, task.id)).state).toBe("merged");
  });
});

describe("failed checks", () => {
  it("queue a fix with the failures as context, then flag after maxFixAttempts", async () => {
    const { task, gh, pr, judge } = await setup();
    gh.setCheck("a1", "test", "failure", "expected 2, got 3 in sum.test.ts");
    gh.setCheck("a1", "lint", "success");

    expect(await judge()).toMatchObject({
      decision: "checks_failed",
      step: "fix",
      state: "queued",
    });
    let after = await reload(db, task.id);
    expect(after).toMatchObject({ work: "fix", fixAttempts: 1, state: "queued" });
    expect(after.workContext).toContain("### test");
    expect(after.workContext).toContain("expected 2, got 3 in sum.test.ts");
    expect(after.workContext).not.toContain("### lint");
    expect(gh.commentsOn(pr).at(-1)).toContain("fix attempt 1 of 2");

    // The runner pushed a fix that still fails; it leaves the task in pr_open with the new head.
    for (const [attempt, head] of [
      [2, "b2"],
      [3, "c3"],
    ] as const) {
      await db.execute(`update tasks set state = 'pr_open' where id = ${task.id}`);
      gh.push(pr, head);
      gh.setCheck(head, "test", "failure", "still broken");
      await judge();
      after = await reload(db, task.id);
      if (attempt === 2) expect(after).toMatchObject({ state: "queued", fixAttempts: 2 });
    }
    expect(after).toMatchObject({ state: "needs_review", fixAttempts: 2 });
    expect(after.flaggedReason).toContain("after 2 fix attempts");
    expect(gh.commentsOn(pr).filter((c) => c.includes("will push a fix"))).toHaveLength(2);
  });

  it("the fix's new head gets its own check run, even when the runner recorded that head", async () => {
    const { task, gh, pr, judge } = await setup();
    gh.setCheck("a1", "test", "failure");
    await judge();
    const firstRun = (await reload(db, task.id)).policyCheckRunId;

    gh.push(pr, "b2");
    gh.setCheck("b2", "test", "pending");
    await db.execute(`update tasks set state = 'pr_open', head_sha = 'b2' where id = ${task.id}`);
    await judge();
    const after = await reload(db, task.id);
    expect(after.policyCheckRunId).not.toBe(firstRun);
    expect(gh.checkRuns.get(after.policyCheckRunId ?? -1)).toMatchObject({
      headSha: "b2",
      status: "in_progress",
    });
    expect(gh.checkRuns.get(firstRun ?? -1)).toMatchObject({
      headSha: "a1",
      conclusion: "failure",
    });
  });

  it("a revert PR with a failed check is flagged, not fixed by an agent", async () => {
    const { task, gh, judge } = await setup({ kind: "revert" });
    gh.setCheck("a1", "test", "failure");
    await judge();
    const after = await reload(db, task.id);
    expect(after.state).toBe("needs_review");
    expect(after.flaggedReason).toContain("revert");
  });
});

describe("changes requested", () => {
  it("a writer's changes_requested on the head queues a fix with the review as context", async () => {
    const { task, gh, pr, judge } = await setup();
    gh.roles.set("alice", "maintain");
    gh.setCheck("a1", "test", "success");
    const reviewId = gh.addReview(pr, {
      user: "alice",
      state: "CHANGES_REQUESTED",
      commitId: "a1",
      body: "Please rename the helper.",
    });
    gh.inlineComments.set(reviewId, [{ path: "src/feature.ts", line: 3, body: "call it sum" }]);

    expect(await judge()).toMatchObject({ step: "fix", state: "queued" });
    const after = await reload(db, task.id);
    expect(after.work).toBe("fix");
    expect(after.fixAttempts).toBe(1);
    expect(after.workContext).toContain("Please rename the helper.");
    expect(after.workContext).toContain("`src/feature.ts` line 3: call it sum");
    expect(gh.merges).toEqual([]);
  });

  it("from someone without write access, changes_requested is not acted on", async () => {
    const { gh, pr, judge } = await setup();
    gh.setCheck("a1", "test", "success");
    gh.addReview(pr, { user: "drive-by", state: "CHANGES_REQUESTED", commitId: "a1" });
    expect(await judge()).toMatchObject({ state: "merged" });
  });
});

describe("merge conflicts", () => {
  it("queue a rebase; the same head still conflicting is flagged", async () => {
    const { task, gh, pr, judge } = await setup();
    gh.setCheck("a1", "test", "success");
    gh.pull(pr).mergeable = false;

    expect(await judge()).toMatchObject({ step: "rebase", state: "queued" });
    const queued = await reload(db, task.id);
    expect(queued).toMatchObject({ work: "rebase", fixAttempts: 0 });

    await db.execute(`update tasks set state = 'pr_open' where id = ${task.id}`);
    await judge();
    const after = await reload(db, task.id);
    expect(after.state).toBe("needs_review");
    expect(after.flaggedReason).toContain("conflicts");
  });

  it("a merge answered with a conflict queues a rebase", async () => {
    const { task, gh, judge } = await setup();
    gh.setCheck("a1", "test", "success");
    gh.mergeAnswer = () => ({ merged: false, reason: "conflict", message: "Merge conflict" });
    await judge();
    expect(await reload(db, task.id)).toMatchObject({ state: "queued", work: "rebase" });
  });
});

describe("holds", () => {
  it("a paused repo gets no auto-merge, and the check run says so; a revert still merges", async () => {
    const { task, gh, pr, judge, repo } = await setup();
    await pauseRepo(db, { repoFullName: repo, installationId: 7, reason: "red main" });
    gh.setCheck("a1", "test", "success");
    expect(await judge()).toMatchObject({ decision: "mergeable", step: "hold", state: "pr_open" });
    expect(gh.merges).toEqual([]);
    const run = gh.policyRun(pr)[0];
    expect(run).toMatchObject({ conclusion: "neutral" });
    expect(run?.title).toContain("paused");

    const revert = await setup({ repo, kind: "revert" });
    revert.gh.setCheck("a1", "test", "success");
    expect(await revert.judge()).toMatchObject({ state: "merged" });

    await resumeRepo(db, repo);
    expect(await judge()).toMatchObject({ state: "merged" });
    expect((await reload(db, task.id)).state).toBe("merged");
  });

  it("autoMerge off: the check passes and nothing merges", async () => {
    const { gh, pr, judge } = await setup({ policy: { autoMerge: false } });
    gh.setCheck("a1", "test", "success");
    expect(await judge()).toMatchObject({ step: "hold", state: "pr_open" });
    expect(gh.policyRun(pr)[0]).toMatchObject({ conclusion: "success" });
    expect(gh.merges).toEqual([]);
  });
});

describe("what it leaves alone", () => {
  it("skips tasks that are not judged (queued, merged) and PRs merged elsewhere are recorded", async () => {
    const queued = await setup();
    await db.execute(`update tasks set state = 'queued' where id = ${queued.task.id}`);
    expect(await queued.judge()).toMatchObject({ kind: "skipped" });
    expect(queued.gh.writes).toEqual([]);

    const outside = await setup();
    Object.assign(outside.gh.pull(outside.pr), { merged: true, state: "closed", mergeSha: "m9" });
    expect(await outside.judge()).toMatchObject({ kind: "merged_outside" });
    expect(await reload(db, outside.task.id)).toMatchObject({ state: "merged", mergeSha: "m9" });
  });

  it("a PR found closed (its event missed) cancels the task", async () => {
    const { task, gh, pr, judge } = await setup();
    gh.pull(pr).state = "closed";
    expect(await judge()).toMatchObject({ kind: "skipped" });
    expect((await reload(db, task.id)).state).toBe("cancelled");
  });

  it("a task left in merging by a crash is settled from GitHub's answer", async () => {
    const { task, gh, pr, judge } = await setup();
    await db.execute(`update tasks set state = 'merging' where id = ${task.id}`);
    Object.assign(gh.pull(pr), { merged: true, state: "closed", mergeSha: "m1" });
    await judge();
    expect(await reload(db, task.id)).toMatchObject({ state: "merged", mergeSha: "m1" });
  });
});
