import nock from "nock";
import { describe, expect, it } from "vitest";
import {
  POLICY_CHECK_NAME,
  probotPullGitHubFactory,
  pullGitHub,
} from "../../src/github/pull-github.js";
import { policyReport } from "../../src/merge/check-report.js";
import type { NextStep } from "../../src/merge/next-step.js";
import type { Decision, PolicyVerdict } from "../../src/policies/merge-decision.js";
import { API, strictNock } from "../helpers/github-nock.js";
import { testProbot } from "../helpers/probot.js";

strictNock();

const REPO = "/repos/acme/api";

function installationToken() {
  return nock(API)
    .post("/app/installations/7/access_tokens")
    .reply(201, { token: "ghs_inst", expires_at: "2099-01-01T00:00:00Z" });
}

async function client() {
  installationToken();
  return probotPullGitHubFactory(testProbot()).forRepo(7, "acme/api");
}

describe("reading a pull request", () => {
  it("maps the pull's fields", async () => {
    const gh = await client();
    nock(API)
      .get(`${REPO}/pulls/12`)
      .reply(200, {
        number: 12,
        state: "open",
        merged: false,
        merge_commit_sha: "test-merge-sha",
        head: { sha: "h1", ref: "fleet/4-x" },
        base: { ref: "main" },
        mergeable: null,
        labels: [{ name: "size/S" }, { name: "bug" }],
        title: "Fix it",
        body: null,
        html_url: "https://github.example/acme/api/pull/12",
      });
    expect(await gh.getPull(12)).toEqual({
      number: 12,
      state: "open",
      merged: false,
      mergeSha: null,
      headSha: "h1",
      headRef: "fleet/4-x",
      baseRef: "main",
      mergeable: null,
      labels: ["size/S", "bug"],
      title: "Fix it",
      body: "",
      url: "https://github.example/acme/api/pull/12",
    });
  });

  it("lists every page of files, with where renamed files came from", async () => {
    const gh = await client();
    nock(API)
      .get(`${REPO}/pulls/12/files`)
      .query({ per_page: 100 })
      .reply(200, [{ filename: "a.ts", additions: 3, deletions: 1 }], {
        link: `<${API}${REPO}/pulls/12/files?per_page=100&page=2>; rel="next"`,
      });
    nock(API)
      .get(`${REPO}/pulls/12/files`)
      .query({ per_page: 100, page: 2 })
      .reply(200, [
        { filename: "ci.yml", additions: 0, deletions: 0, previous_filename: ".github/ci.yml" },
      ]);
    expect(await gh.listFiles(12)).toEqual([
      { filename: "a.ts", additions: 3, deletions: 1 },
      { filename: "ci.yml", additions: 0, deletions: 0, previousFilename: ".github/ci.yml" },
    ]);
  });

  it("reads a file's raw text at a ref, and null when there is none", async () => {
    const gh = await client();
    nock(API, { reqheaders: { accept: "application/vnd.github.raw+json" } })
      .get(`${REPO}/contents/.gitattributes`)
      .query({ ref: "main" })
      .reply(200, "gen/** linguist-generated\n", { "content-type": "text/plain" });
    nock(API)
      .get(`${REPO}/contents/CODEOWNERS`)
      .query({ ref: "main" })
      .reply(404, { message: "Not Found" });
    expect(await gh.readFile(".gitattributes", "main")).toBe("gen/** linguist-generated\n");
    expect(await gh.readFile("CODEOWNERS", "main")).toBeNull();
  });

  it("normalises check runs and statuses, newest run per name, without fleet/* runs", async () => {
    const gh = await client();
    const run = (id: number, name: string, status: string, conclusion: string | null) => ({
      id,
      name,
      status,
      conclusion,
      details_url: `https://ci/${id}`,
      output: { title: `${name} title`, summary: `${name} summary` },
      app: { slug: "ci" },
    });
    nock(API)
      .get(`${REPO}/commits/h1/check-runs`)
      .query({ per_page: 100 })
      .reply(200, {
        total_count: 6,
        check_runs: [
          run(1, "test", "completed", "failure"),
          run(5, "test", "completed", "success"),
          run(2, "lint", "in_progress", null),
          run(3, "e2e", "completed", "timed_out"),
          run(4, "docs", "completed", "skipped"),
          run(6, "fleet/policy", "completed", "success"),
        ],
      });
    nock(API)
      .get(`${REPO}/commits/h1/status`)
      .query({ per_page: 100 })
      .reply(200, {
        state: "failure",
        statuses: [
          { context: "ci/legacy", state: "error", description: "boom", target_url: null },
          { context: "deploy", state: "pending", description: null, target_url: null },
        ],
      });
    const checks = await gh.checksFor("h1");
    expect(checks.map((c) => [c.name, c.state, c.source])).toEqual([
      ["test", "success", "check_run"],
      ["lint", "pending", "check_run"],
      ["e2e", "failure", "check_run"],
      ["docs", "skipped", "check_run"],
      ["ci/legacy", "failure", "status"],
      ["deploy", "pending", "status"],
    ]);
    expect(checks[0]).toMatchObject({
      title: "test title",
      summary: "test summary",
      url: "https://ci/5",
    });
    expect(checks[4]).toMatchObject({ summary: "boom" });
  });

  it("lists reviews with the head each was given on, and a review's inline comments", async () => {
    const gh = await client();
    nock(API)
      .get(`${REPO}/pulls/12/reviews`)
      .query({ per_page: 100 })
      .reply(200, [
        {
          id: 80,
          user: { login: "alice" },
          state: "APPROVED",
          commit_id: "h1",
          body: "ok",
          submitted_at: "2030-01-01T00:00:00Z",
        },
      ]);
    nock(API)
      .get(`${REPO}/pulls/12/reviews/80/comments`)
      .query({ per_page: 100 })
      .reply(200, [{ path: "a.ts", line: null, original_line: 7, body: "rename" }]);
    expect(await gh.listReviews(12)).toEqual([
      {
        id: 80,
        user: "alice",
        state: "APPROVED",
        commitId: "h1",
        body: "ok",
        submittedAt: "2030-01-01T00:00:00Z",
      },
    ]);
    expect(await gh.reviewComments(12, 80)).toEqual([{ path: "a.ts", line: 7, body: "rename" }]);
  });

  it("asks for a user's role, 'none' for a stranger", async () => {
    const gh = await client();
    nock(API)
      .get(`${REPO}/collaborators/alice/permission`)
      .reply(200, { permission: "write", role_name: "maintain" });
    nock(API).get(`${REPO}/collaborators/eve/permission`).reply(404, { message: "Not Found" });
    expect(await gh.roleOf("alice")).toBe("maintain");
    expect(await gh.roleOf("eve")).toBe("none");
  });
});

function verdict(decision: Decision): PolicyVerdict {
  return {
    decision,
    reason: `reason for ${decision}`,
    size: { lines: 12, ignoredLines: 300, files: 2, ignoredFiles: ["yarn.lock"], bucket: "S" },
    protectedTouched: [],
    missingChecks: [],
    failedChecks: [],
    reviewReason: null,
    approvedBy: [],
  };
}

describe("the fleet/policy check run", () => {
  it.each([
    ["mergeable", { kind: "merge" }, "completed", "success"],
    ["needs_review", { kind: "request_review", reason: "big" }, "completed", "action_required"],
    ["blocked", { kind: "flag", reason: "huge" }, "completed", "failure"],
    ["checks_failed", { kind: "fix", source: "checks" }, "completed", "failure"],
    ["waiting", { kind: "wait", reason: "ci" }, "in_progress", undefined],
  ] as const)(
    "is created for %s with status %s and conclusion %s",
    async (decision, step, status, conclusion) => {
      const gh = await client();
      const report = policyReport({
        verdict: verdict(decision),
        step: step as NextStep,
        checks: [],
        standing: { approvedBy: [], changesRequested: [], staleApprovals: [] },
        headSha: "h1",
      });
      let sent: Record<string, unknown> = {};
      nock(API)
        .post(`${REPO}/check-runs`, (body: Record<string, unknown>) => {
          sent = body;
          return true;
        })
        .reply(201, { id: 555 });
      const id = await gh.upsertCheckRun({
        headSha: "h1",
        name: POLICY_CHECK_NAME,
        ...report,
        detailsUrl: "https://github.example/acme/api/pull/12",
      });
      expect(id).toBe(555);
      expect(sent).toMatchObject({
        name: "fleet/policy",
        head_sha: "h1",
        status,
        details_url: "https://github.example/acme/api/pull/12",
        output: { title: `${decision.replace("_", " ")}: reason for ${decision}` },
      });
      expect(sent.conclusion).toBe(conclusion);
      const summary = (sent.output as { summary: string }).summary;
      expect(summary).toContain(`| Decision | **${decision}** |`);
      expect(summary).toContain(
        "| Size | `size/S`: 12 lines counted, 300 ignored in `yarn.lock` |",
      );
    },
  );

  it("is updated in place by id, and recreated when GitHub will not reopen it", async () => {
    const gh = await client();
    nock(API)
      .patch(`${REPO}/check-runs/555`, (body: { status: string }) => body.status === "completed")
      .reply(200, { id: 555 });
    nock(API).patch(`${REPO}/check-runs/555`).reply(422, { message: "Validation Failed" });
    nock(API).post(`${REPO}/check-runs`).reply(201, { id: 556 });
    const run = { id: 555, headSha: "h1", name: "fleet/policy", title: "t", summary: "s" };
    expect(await gh.upsertCheckRun({ ...run, status: "completed", conclusion: "success" })).toBe(
      555,
    );
    expect(await gh.upsertCheckRun({ ...run, status: "in_progress" })).toBe(556);
  });
});

describe("merging", () => {
  it("sends the head SHA as a guard and the merge method", async () => {
    const gh = await client();
    let sent: unknown;
    nock(API)
      .put(`${REPO}/pulls/12/merge`, (body: unknown) => {
        sent = body;
        return true;
      })
      .reply(200, { sha: "m1", merged: true, message: "Pull Request successfully merged" });
    expect(await gh.merge(12, { sha: "h1", method: "squash", title: "Fix it (#12)" })).toEqual({
      merged: true,
      sha: "m1",
    });
    expect(sent).toEqual({ sha: "h1", merge_method: "squash", commit_title: "Fix it (#12)" });
  });

  it.each([
    [409, "Head branch was modified. Review and try the merge again.", "head_moved"],
    [405, "Pull Request is not mergeable", "not_mergeable"],
    [405, "Merge conflict", "conflict"],
  ] as const)("answers %i %s as %s", async (status, message, reason) => {
    const gh = await client();
    nock(API).put(`${REPO}/pulls/12/merge`).reply(status, { message });
    expect(await gh.merge(12, { sha: "h1", method: "merge", title: "t" })).toEqual({
      merged: false,
      reason,
      message,
    });
  });

  it("throws on anything else", async () => {
    const gh = await client();
    nock(API).put(`${REPO}/pulls/12/merge`).reply(422, { message: "Validation Failed" });
    await expect(gh.merge(12, { sha: "h1", method: "merge", title: "t" })).rejects.toMatchObject({
      status: 422,
    });
  });
});

describe("writes on the PR and its issue", () => {
  it("labels, reviewers (users and teams), comments, and closing the issue", async () => {
    const gh = await client();
    nock(API)
      .post(`${REPO}/issues/12/labels`, { labels: ["size/S", "fleet:needs-review"] })
      .reply(200, []);
    nock(API).delete(`${REPO}/issues/12/labels/size%2FXL`).reply(404, { message: "Not Found" });
    nock(API)
      .post(`${REPO}/pulls/12/requested_reviewers`, {
        reviewers: ["alice"],
        team_reviewers: ["core"],
      })
      .reply(201, {});
    nock(API).post(`${REPO}/issues/12/comments`, { body: "hello" }).reply(201, { id: 1 });
    nock(API).get(`${REPO}/issues/4`).reply(200, { state: "open" });
    nock(API)
      .patch(`${REPO}/issues/4`, { state: "closed", state_reason: "completed" })
      .reply(200, {});

    await gh.addLabels(12, ["size/S", "fleet:needs-review"]);
    await gh.addLabels(12, []);
    await gh.removeLabel(12, "size/XL");
    await gh.requestReviewers(12, ["alice", "acme/core"]);
    await gh.comment(12, "hello");
    expect(await gh.getIssueState(4)).toBe("open");
    await gh.closeIssue(4);
  });

  it("pullGitHub works on a handler's octokit", async () => {
    installationToken();
    const octokit = await testProbot().auth(7);
    nock(API).get(`${REPO}/issues/5`).reply(200, { state: "closed" });
    expect(await pullGitHub(octokit, "acme/api").getIssueState(5)).toBe("closed");
  });
});
