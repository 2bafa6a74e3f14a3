import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_APP_PERMISSIONS, type RepoInfo } from "../../src/sim/emulator/index.js";
import {
  type GitClone,
  type Harness,
  type Octokit,
  type Received,
  startHarness,
  statusOf,
} from "./emulator-harness.js";

/** Pushes seen through the post-receive hook, the simulated CI, commit statuses and reviews. */

const isEvent = (event: string, action?: string) => (r: Received) =>
  r.event === event && (action === undefined || r.payload.action === action);

const pullNumberOf = (r: Received) => (r.payload.pull_request as { number: number }).number;

describe("emulator: pushes, CI, statuses and reviews", () => {
  let h: Harness;
  let repo: RepoInfo;
  let octokit: Octokit;
  let clone: GitClone;
  const owner = "acme";
  const name = "shop";

  beforeAll(async () => {
    h = await startHarness({ appPermissions: { ...DEFAULT_APP_PERMISSIONS, statuses: "write" } });
    repo = await h.emulator.createRepo({
      slug: "acme/shop",
      files: { "README.md": "# shop\n", "src/cart.ts": "export const total = 0;\n" },
      collaborators: { alice: "write", mia: "maintain", rita: "read" },
    });
    octokit = await h.octokit(repo.installationId);
    clone = await h.clone(repo.gitDir);
  });

  afterAll(async () => {
    await h?.close();
  });

  /** Pushes a branch with one commit and opens a pull for it. */
  async function openPull(branch: string, files: Record<string, string>) {
    await clone.checkout(branch);
    const sha = await clone.commit(files, `work on ${branch}`);
    await clone.push(branch);
    const { data } = await octokit.rest.pulls.create({
      owner,
      repo: name,
      title: `Pull for ${branch}`,
      head: branch,
      base: "main",
    });
    return { sha, number: data.number };
  }

  it("checks a new pull as a separate CI app and reports the suite", async () => {
    const { sha, number } = await openPull("feature/green", { "src/green.ts": "ok\n" });
    await h.emulator.ciSettled();

    const runs = h.emulator.state.ciRuns("acme/shop").filter((r) => r.pull === number);
    expect(runs).toEqual([
      expect.objectContaining({ sha, kind: "pr", ref: "feature/green", conclusion: "success" }),
    ]);
    const created = await h.receiver.waitFor(
      (r) =>
        isEvent("check_run", "created")(r) &&
        (r.payload.check_run as { head_sha: string }).head_sha === sha,
    );
    const run = created.payload.check_run as {
      name: string;
      status: string;
      app: { slug: string; id: number };
      pull_requests: Array<{ number: number }>;
    };
    expect(run).toMatchObject({ name: "ci", status: "in_progress", app: { slug: "emulated-ci" } });
    expect(run.app.id).not.toBe(h.emulator.app.id);
    expect(run.pull_requests.map((p) => p.number)).toEqual([number]);
    expect(created.signatureOk).toBe(true);
    const suite = await h.receiver.waitFor(
      (r) =>
        isEvent("check_suite", "completed")(r) &&
        (r.payload.check_suite as { head_sha: string }).head_sha === sha,
    );
    expect(suite.payload.check_suite).toMatchObject({
      status: "completed",
      conclusion: "success",
      head_branch: "feature/green",
      latest_check_runs_count: 1,
    });

    const listed = await octokit.rest.checks.listForRef({ owner, repo: name, ref: sha });
    expect(listed.data.check_runs.map((r) => [r.name, r.conclusion, r.app?.slug])).toEqual([
      ["ci", "success", "emulated-ci"],
    ]);
    const suites = await octokit.rest.checks.listSuitesForRef({ owner, repo: name, ref: sha });
    expect(suites.data.check_suites.map((s) => [s.app?.slug, s.status, s.conclusion])).toEqual([
      ["emulated-ci", "completed", "success"],
    ]);
  });

  it("sees a plain git push before it returns, without waiting for the app", async () => {
    const { sha: before, number } = await openPull("feature/sync", { "a.txt": "1\n" });
    await h.emulator.ciSettled();
    const after = await clone.commit({ "a.txt": "2\n" }, "second");
    h.receiver.hold();
    let settled = false;
    let quiet: Promise<void> = Promise.resolve();
    try {
      await clone.push("feature/sync");
      // The hook ran before `git push` returned: the head moved and the webhook is queued,
      // while the app has not answered it yet.
      expect(h.emulator.state.pull("acme/shop", number)?.head.sha).toBe(after);
      const sync = h.emulator
        .deliveries()
        .find((d) => d.event === "pull_request" && d.action === "synchronize");
      expect(sync?.payload).toMatchObject({ number, before, after });
      expect(sync?.status).toBe(0);
      quiet = h.emulator.settled().then(() => {
        settled = true;
      });
      await h.receiver.waitFor((r) => r.payload.action === "synchronize");
      expect(settled).toBe(false);
    } finally {
      h.receiver.release();
    }
    await quiet;
    expect(h.emulator.deliveries().filter((d) => d.status !== 200)).toEqual([]);
    expect(
      h.emulator.state
        .ciRuns("acme/shop")
        .filter((r) => r.pull === number)
        .map((r) => r.sha),
    ).toEqual([before, after]);
    const { data } = await octokit.rest.pulls.get({ owner, repo: name, pull_number: number });
    expect(data.head.sha).toBe(after);
    const push = h.emulator
      .deliveries()
      .find((d) => d.event === "push" && d.payload.after === after);
    expect(push?.payload).toMatchObject({
      ref: "refs/heads/feature/sync",
      before,
      commits: [{ id: after, message: "second", modified: ["a.txt"], added: [], removed: [] }],
    });
  });

  it("follows the CI rule for the head branch: failure output, sequences and pending", async () => {
    h.emulator.setCiRule(
      "acme/shop",
      { headRef: /^fix\// },
      {
        pr: ["failure", "success"],
        postMerge: "success",
        durationMs: 5,
        name: "test",
      },
    );
    h.emulator.setCiRule(
      "acme/shop",
      { headRef: "fix/stuck" },
      {
        pr: "pending",
        postMerge: "none",
        durationMs: 0,
      },
    );
    const red = await openPull("fix/red", { "b.txt": "1\n" });
    const stuck = await openPull("fix/stuck", { "c.txt": "1\n" });
    await h.emulator.ciSettled();

    const failed = await h.receiver.waitFor(
      (r) =>
        isEvent("check_run", "completed")(r) &&
        (r.payload.check_run as { head_sha: string }).head_sha === red.sha,
    );
    expect(failed.payload.check_run).toMatchObject({
      name: "test",
      conclusion: "failure",
      output: { title: "2 tests failed", summary: expect.stringContaining("FAIL") },
    });
    const stuckRuns = h.emulator.state.ciRuns("acme/shop").filter((r) => r.pull === stuck.number);
    expect(stuckRuns.map((r) => [r.name, r.conclusion])).toEqual([["ci", null]]);
    const pending = await octokit.rest.checks.listForRef({ owner, repo: name, ref: stuck.sha });
    expect(pending.data.check_runs.map((r) => r.status)).toEqual(["in_progress"]);

    await clone.switchTo("fix/red");
    const fixed = await clone.commit({ "b.txt": "2\n" }, "fix the tests");
    await clone.push("fix/red");
    await h.emulator.ciSettled();
    const redRuns = h.emulator.state.ciRuns("acme/shop").filter((r) => r.pull === red.number);
    expect(redRuns.map((r) => [r.sha, r.conclusion])).toEqual([
      [red.sha, "failure"],
      [fixed, "success"],
    ]);
  });

  it("posts, lists and combines commit statuses, and sends the status webhook", async () => {
    const sha = repo.initialCommit;
    const combined = async () =>
      (await octokit.rest.repos.getCombinedStatusForRef({ owner, repo: name, ref: sha })).data;
    expect((await combined()).state).toBe("pending");

    const delivery = await h.emulator.setStatus({
      repo: "acme/shop",
      sha,
      context: "ci/jenkins",
      state: "pending",
      description: "building",
      by: "jenkins",
    });
    expect(delivery.status).toBe(200);
    expect(delivery.payload).toMatchObject({ sha, context: "ci/jenkins", state: "pending" });
    expect((delivery.payload.sender as { login: string }).login).toBe("jenkins");
    expect(delivery.payload.branches).toEqual([expect.objectContaining({ name: "main" })]);

    await h.emulator.setStatus({
      repo: "acme/shop",
      sha,
      context: "ci/jenkins",
      state: "success",
      by: "jenkins",
    });
    const posted = await octokit.rest.repos.createCommitStatus({
      owner,
      repo: name,
      sha,
      state: "success",
      context: "lint",
      target_url: "https://ci.example/lint",
    });
    expect(posted.status).toBe(201);
    expect(posted.data.creator?.login).toBe(h.emulator.app.botLogin);
    expect(await combined()).toMatchObject({ state: "success", total_count: 2 });

    await h.emulator.setStatus({
      repo: "acme/shop",
      sha,
      context: "lint",
      state: "error",
      by: "jenkins",
    });
    const now = await combined();
    expect(now.state).toBe("failure");
    expect(now.statuses.map((s) => [s.context, s.state])).toEqual([
      ["lint", "error"],
      ["ci/jenkins", "success"],
    ]);
    const all = await octokit.rest.repos.listCommitStatusesForRef({ owner, repo: name, ref: sha });
    expect(all.data.map((s) => s.state)).toEqual(["error", "success", "success", "pending"]);
    expect(h.emulator.state.statuses("acme/shop", sha)).toHaveLength(4);

    const bad = octokit.rest.repos.createCommitStatus({
      owner,
      repo: name,
      sha: "f".repeat(40),
      state: "success",
    });
    expect(await statusOf(bad)).toBe(422);
  });

  it("requests reviewers, records reviews on the current head and lists review comments", async () => {
    const { sha, number } = await openPull("feature/review", { "e.txt": "1\n" });
    const requested = await octokit.rest.pulls.requestReviewers({
      owner,
      repo: name,
      pull_number: number,
      reviewers: ["alice", "mia"],
    });
    expect(requested.status).toBe(201);
    expect(requested.data.requested_reviewers?.map((u) => u.login)).toEqual(["alice", "mia"]);
    const asked = await h.receiver.waitFor(
      (r) =>
        isEvent("pull_request", "review_requested")(r) &&
        pullNumberOf(r) === number &&
        (r.payload.requested_reviewer as { login: string }).login === "mia",
    );
    expect(asked.signatureOk).toBe(true);
    for (const reviewers of [["mallory"], [h.emulator.app.botLogin]]) {
      const refused = octokit.rest.pulls.requestReviewers({
        owner,
        repo: name,
        pull_number: number,
        reviewers,
      });
      expect(await statusOf(refused)).toBe(422);
    }

    const approval = await h.emulator.submitReview({
      repo: "acme/shop",
      pull: number,
      by: "alice",
      state: "approved",
      body: "looks good",
    });
    expect(approval.status).toBe(200);
    expect(approval.payload).toMatchObject({
      action: "submitted",
      review: { state: "approved", commit_id: sha, user: { login: "alice" } },
      pull_request: { number },
    });
    const still = await octokit.rest.pulls.listRequestedReviewers({
      owner,
      repo: name,
      pull_number: number,
    });
    expect(still.data.users.map((u) => u.login)).toEqual(["mia"]);

    const moved = await clone.commit({ "e.txt": "2\n" }, "more");
    await clone.push("feature/review");
    await h.emulator.submitReview({
      repo: "acme/shop",
      pull: number,
      by: "mia",
      state: "changes_requested",
      body: "please rename",
      comments: [{ path: "e.txt", line: 1, body: "call it f.txt" }],
    });
    const reviews = await octokit.rest.pulls.listReviews({
      owner,
      repo: name,
      pull_number: number,
    });
    expect(reviews.data.map((r) => [r.user?.login, r.state, r.commit_id])).toEqual([
      ["alice", "APPROVED", sha],
      ["mia", "CHANGES_REQUESTED", moved],
    ]);
    const comments = await octokit.rest.pulls.listReviewComments({
      owner,
      repo: name,
      pull_number: number,
    });
    expect(comments.data.map((c) => [c.path, c.line, c.body, c.pull_request_review_id])).toEqual([
      ["e.txt", 1, "call it f.txt", reviews.data[1]?.id],
    ]);
    const ofReview = async (reviewId: number) =>
      (
        await octokit.rest.pulls.listCommentsForReview({
          owner,
          repo: name,
          pull_number: number,
          review_id: reviewId,
        })
      ).data.map((c) => c.body);
    expect(await ofReview(reviews.data[1]?.id ?? 0)).toEqual(["call it f.txt"]);
    expect(await ofReview(reviews.data[0]?.id ?? 0)).toEqual([]);
    expect(h.emulator.state.reviews("acme/shop", number).map((r) => r.state)).toEqual([
      "APPROVED",
      "CHANGES_REQUESTED",
    ]);
    expect(
      h.emulator.pulls("acme/shop").find((p) => p.number === number)?.requestedReviewers,
    ).toEqual([]);
  });

  it("creates, filters, closes and reopens issues, and records reactions and user comments", async () => {
    const { data: issue } = await octokit.rest.issues.create({
      owner,
      repo: name,
      title: "agent-fleet configuration error",
      body: "bad yaml",
      labels: ["fleet:config"],
    });
    await h.receiver.waitFor(
      (r) =>
        isEvent("issues", "opened")(r) &&
        (r.payload.issue as { number: number }).number === issue.number,
    );
    const mine = await octokit.rest.issues.listForRepo({
      owner,
      repo: name,
      state: "open",
      labels: "fleet:config",
      creator: h.emulator.app.botLogin,
    });
    expect(mine.data.map((i) => i.number)).toEqual([issue.number]);
    const byOthers = await octokit.rest.issues.listForRepo({ owner, repo: name, creator: "alice" });
    expect(byOthers.data).toEqual([]);

    await octokit.rest.issues.update({
      owner,
      repo: name,
      issue_number: issue.number,
      state: "closed",
    });
    const closed = await octokit.rest.issues.listForRepo({
      owner,
      repo: name,
      state: "closed",
      labels: "fleet:config",
    });
    expect(closed.data.map((i) => [i.number, i.state_reason])).toEqual([
      [issue.number, "completed"],
    ]);
    await octokit.rest.issues.update({
      owner,
      repo: name,
      issue_number: issue.number,
      state: "open",
    });
    await h.receiver.waitFor(
      (r) =>
        isEvent("issues", "reopened")(r) &&
        (r.payload.issue as { number: number }).number === issue.number,
    );

    const said = await h.emulator.comment({
      repo: "acme/shop",
      issue: issue.number,
      by: "mia",
      body: "/fleet resume",
    });
    expect(said.status).toBe(200);
    expect(said.payload).toMatchObject({
      action: "created",
      comment: {
        body: "/fleet resume",
        user: { login: "mia" },
        author_association: "COLLABORATOR",
      },
    });
    const commentId = (said.payload.comment as { id: number }).id;
    const first = await octokit.rest.reactions.createForIssueComment({
      owner,
      repo: name,
      comment_id: commentId,
      content: "+1",
    });
    const again = await octokit.rest.reactions.createForIssueComment({
      owner,
      repo: name,
      comment_id: commentId,
      content: "+1",
    });
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.data.id).toBe(first.data.id);
    const listed = await octokit.rest.issues.listComments({
      owner,
      repo: name,
      issue_number: issue.number,
    });
    expect(listed.data[0]?.reactions).toMatchObject({ total_count: 1, "+1": 1 });
  });

  it("counts the new routes, never the hook's notices, and refuses forged notices", async () => {
    const stats = h.emulator.stats();
    expect(stats.invalid).toBe(0);
    expect(stats.byRoute).toMatchObject({
      "POST /repos/{owner}/{repo}/statuses/{sha}": 2,
      "GET /repos/{owner}/{repo}/commits/{ref}/status": 3,
      "POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers": 3,
      "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews": 1,
    });
    expect(Object.keys(stats.byRoute).some((k) => k.includes("_emulator"))).toBe(false);
    const forged = await fetch(`${h.emulator.url}/_emulator/push`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-emulator-push-secret": "guess" },
      body: "",
    });
    expect(forged.status).toBe(403);
  });
});
