import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RepoInfo } from "../../src/sim/emulator/index.js";
import {
  type GitClone,
  type Harness,
  type Octokit,
  type Received,
  startHarness,
} from "./emulator-harness.js";

/** Real merges in the bare repo, mergeability, closing keywords, web commits and post-merge CI. */

const HEAD_MODIFIED = "Head branch was modified. Review and try the merge again.";
const NOT_MERGEABLE = "Pull Request is not mergeable";

async function failureOf(
  promise: Promise<unknown>,
): Promise<{ status?: number; message?: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as {
      status?: number;
      response?: { data?: { message?: string } };
      message?: string;
    };
    return { status: e.status, message: e.response?.data?.message ?? e.message };
  }
  throw new Error("expected a failure");
}

describe("emulator: merging", () => {
  let h: Harness;
  let repo: RepoInfo;
  let octokit: Octokit;
  let clone: GitClone;
  const owner = "acme";
  const name = "store";
  const slug = "acme/store";

  const git = async (args: string[]) =>
    (await execa("git", ["--git-dir", repo.gitDir, ...args])).stdout.trim();
  const mainTip = () => git(["rev-parse", "refs/heads/main"]);
  const parentsOf = async (sha: string) =>
    (await git(["rev-list", "--parents", "-n", "1", sha])).split(" ").slice(1);
  const fileAt = (ref: string, path: string) => git(["show", `${ref}:${path}`]);
  const webhook = (match: (r: Received) => boolean) => h.receiver.waitFor(match);

  beforeAll(async () => {
    h = await startHarness();
    repo = await h.emulator.createRepo({
      slug,
      files: { "README.md": "# store\n\nline two\n", "src/app.ts": "export const v = 1;\n" },
      collaborators: { alice: "write", mia: "maintain" },
    });
    octokit = await h.octokit(repo.installationId);
    clone = await h.clone(repo.gitDir);
  });

  afterAll(async () => {
    await h?.close();
  });

  /** One pushed branch with a commit per entry of `commits`, and a pull for it. */
  async function openPull(branch: string, commits: Array<Record<string, string>>, body?: string) {
    await clone.checkout(branch);
    const shas: string[] = [];
    for (const [i, files] of commits.entries()) {
      shas.push(await clone.commit(files, `${branch}: step ${i + 1}`));
    }
    await clone.push(branch);
    const { data } = await octokit.rest.pulls.create({
      owner,
      repo: name,
      title: `Work on ${branch}`,
      head: branch,
      base: "main",
      ...(body ? { body } : {}),
    });
    return { number: data.number, head: shas.at(-1) as string, shas };
  }

  const getPull = async (number: number) =>
    (await octokit.rest.pulls.get({ owner, repo: name, pull_number: number })).data;

  it("squash-merges behind the head guard, closes the issue it fixes and checks the new tip", async () => {
    const issue = await h.emulator.createIssue({ repo: slug, title: "Add a feature", by: "alice" });
    const pull = await openPull(
      "fleet/1-feature",
      [{ "src/feature.ts": "export const f = 1;\n" }],
      `Fixes #${issue.number}`,
    );
    await h.emulator.ciSettled();
    expect(await getPull(pull.number)).toMatchObject({ mergeable: true, mergeable_state: "clean" });
    const before = await mainTip();

    const stale = await failureOf(
      octokit.rest.pulls.merge({
        owner,
        repo: name,
        pull_number: pull.number,
        sha: before,
        merge_method: "squash",
      }),
    );
    expect(stale).toEqual({ status: 409, message: HEAD_MODIFIED });

    const { data, status } = await octokit.rest.pulls.merge({
      owner,
      repo: name,
      pull_number: pull.number,
      sha: pull.head,
      merge_method: "squash",
    });
    expect(status).toBe(200);
    expect(data).toEqual({
      sha: data.sha,
      merged: true,
      message: "Pull Request successfully merged",
    });
    expect(await mainTip()).toBe(data.sha);
    expect(await parentsOf(data.sha)).toEqual([before]);
    expect(await fileAt(data.sha, "src/feature.ts")).toBe("export const f = 1;");
    expect(await git(["log", "-1", "--format=%s", data.sha])).toBe(
      `Work on fleet/1-feature (#${pull.number})`,
    );

    const closed = await webhook(
      (r) =>
        r.event === "pull_request" &&
        r.payload.action === "closed" &&
        r.payload.number === pull.number,
    );
    expect(closed.payload.pull_request).toMatchObject({
      merged: true,
      merge_commit_sha: data.sha,
      merged_by: { login: h.emulator.app.botLogin },
    });
    const fixed = await webhook(
      (r) =>
        r.event === "issues" &&
        r.payload.action === "closed" &&
        (r.payload.issue as { number: number }).number === issue.number,
    );
    expect(fixed.payload.issue).toMatchObject({ state: "closed", state_reason: "completed" });

    expect(await getPull(pull.number)).toMatchObject({
      state: "closed",
      merged: true,
      mergeable: null,
      merge_commit_sha: data.sha,
      merged_by: { login: h.emulator.app.botLogin },
    });
    const again = await failureOf(
      octokit.rest.pulls.merge({ owner, repo: name, pull_number: pull.number }),
    );
    expect(again).toEqual({ status: 405, message: NOT_MERGEABLE });

    await h.emulator.ciSettled();
    expect(h.emulator.state.ciRuns(slug).filter((r) => r.sha === data.sha)).toEqual([
      expect.objectContaining({
        kind: "postMerge",
        ref: "main",
        pull: pull.number,
        conclusion: "success",
      }),
    ]);
    const suite = await webhook(
      (r) =>
        r.event === "check_suite" &&
        (r.payload.check_suite as { head_sha: string }).head_sha === data.sha,
    );
    expect(suite.payload.check_suite).toMatchObject({ head_branch: "main", conclusion: "success" });
    expect((await h.emulator.state.defaultBranchLog(slug))[0]).toEqual({
      sha: data.sha,
      parents: [before],
      message: expect.stringContaining(`(#${pull.number})`),
    });
    expect(h.emulator.pulls(slug).find((p) => p.number === pull.number)).toMatchObject({
      merged: true,
      mergeCommitSha: data.sha,
      mergedAt: expect.any(String),
    });
    const issueNow = await octokit.rest.issues.get({
      owner,
      repo: name,
      issue_number: pull.number,
    });
    expect(issueNow.data.pull_request?.merged_at).toEqual(expect.any(String));
  });

  it("reports a conflict as dirty and refuses it with 405, until a web commit resolves it", async () => {
    const pull = await openPull("fleet/2-readme", [
      { "README.md": "# store\n\nline two, by the agent\n" },
    ]);
    const onMain = await h.emulator.commitFiles({
      repo: slug,
      files: { "README.md": "# store\n\nline two, by a human\n" },
      message: "Edit the readme",
      by: "alice",
    });
    expect(await mainTip()).toBe(onMain);
    expect(await git(["log", "-1", "--format=%an|%cn", onMain])).toBe("alice|GitHub");
    expect(await getPull(pull.number)).toMatchObject({
      mergeable: false,
      mergeable_state: "dirty",
    });
    const refused = await failureOf(
      octokit.rest.pulls.merge({ owner, repo: name, pull_number: pull.number, sha: pull.head }),
    );
    expect(refused).toEqual({ status: 405, message: NOT_MERGEABLE });
    expect(await mainTip()).toBe(onMain);

    // The same text on both sides merges cleanly; the commit counts as a push to the branch.
    const resolved = await h.emulator.commitFiles({
      repo: slug,
      branch: "fleet/2-readme",
      files: { "README.md": "# store\n\nline two, by a human\n", "notes.md": "resolved\n" },
      message: "Resolve the conflict",
      by: "mia",
    });
    const sync = h.emulator
      .deliveries()
      .find((d) => d.action === "synchronize" && (d.payload.after as string) === resolved);
    expect(sync?.payload).toMatchObject({ before: pull.head, sender: { login: "mia" } });
    await h.emulator.ciSettled();
    expect(await getPull(pull.number)).toMatchObject({ mergeable: true, mergeable_state: "clean" });
    const runs = h.emulator.state.ciRuns(slug);
    expect(runs.find((r) => r.sha === onMain)).toMatchObject({
      kind: "push",
      conclusion: "success",
    });
    expect(runs.find((r) => r.sha === resolved)).toMatchObject({ kind: "pr", pull: pull.number });
  });

  it("makes real merge commits and rebases, for the API and for a human's merge", async () => {
    const merged = await openPull("fleet/3-merge", [{ "m1.txt": "1\n" }, { "m2.txt": "2\n" }]);
    const base = await mainTip();
    const human = await h.emulator.merge({
      repo: slug,
      pull: merged.number,
      by: "mia",
      method: "merge",
    });
    expect(await parentsOf(human.sha)).toEqual([base, merged.head]);
    expect(await git(["log", "-1", "--format=%s", human.sha])).toBe(
      `Merge pull request #${merged.number} from acme/fleet/3-merge`,
    );
    expect(human.deliveries.map((d) => [d.event, d.action, d.status])).toEqual([
      ["pull_request", "closed", 200],
    ]);
    expect(h.emulator.pulls(slug).find((p) => p.number === merged.number)?.mergedBy).toBe("mia");

    const rebased = await openPull("fleet/4-rebase", [{ "r1.txt": "1\n" }, { "r2.txt": "2\n" }]);
    const onto = await mainTip();
    const { data } = await octokit.rest.pulls.merge({
      owner,
      repo: name,
      pull_number: rebased.number,
      merge_method: "rebase",
    });
    const replayed = (await git(["rev-list", "--reverse", `${onto}..${data.sha}`])).split("\n");
    expect(replayed).toHaveLength(2);
    expect(replayed).not.toContain(rebased.shas[0]);
    expect(await parentsOf(replayed[0] as string)).toEqual([onto]);
    expect(await git(["log", "-1", "--format=%an|%cn|%s", data.sha])).toBe(
      "Tester|GitHub|fleet/4-rebase: step 2",
    );
    expect(await fileAt(data.sha, "r1.txt")).toBe("1");
    expect(await fileAt(data.sha, "m2.txt")).toBe("2");
  });

  it("is unstable while CI is red, and follows the post-merge rule", async () => {
    h.emulator.setCiRule(
      slug,
      { headRef: /^red\// },
      {
        pr: "failure",
        postMerge: "failure",
        durationMs: 0,
        failure: { title: "1 test failed", summary: "FAIL app.test.ts" },
      },
    );
    h.emulator.setCiRule(
      slug,
      { headRef: "quiet/docs" },
      { pr: "success", postMerge: "none", durationMs: 0 },
    );
    const red = await openPull("red/break", [{ "src/app.ts": "export const v = 2;\n" }]);
    await h.emulator.ciSettled();
    expect(await getPull(red.number)).toMatchObject({
      mergeable: true,
      mergeable_state: "unstable",
    });
    const { sha } = await h.emulator.merge({
      repo: slug,
      pull: red.number,
      by: "mia",
      method: "squash",
    });
    await h.emulator.ciSettled();
    expect(h.emulator.state.ciRuns(slug).find((r) => r.sha === sha)).toMatchObject({
      kind: "postMerge",
      conclusion: "failure",
    });
    const run = h.emulator.state.checkRuns(slug).find((r) => r.headSha === sha);
    expect(run?.output).toMatchObject({ title: "1 test failed", summary: "FAIL app.test.ts" });

    const quiet = await openPull("quiet/docs", [{ "docs.md": "hi\n" }]);
    const docs = await h.emulator.merge({ repo: slug, pull: quiet.number, by: "mia" });
    await h.emulator.ciSettled();
    expect(h.emulator.state.ciRuns(slug).filter((r) => r.sha === docs.sha)).toEqual([]);
  });

  it("closes a pull without merging, then refuses to merge it", async () => {
    const pull = await openPull("fleet/5-close", [{ "c.txt": "1\n" }]);
    const { data } = await octokit.rest.pulls.update({
      owner,
      repo: name,
      pull_number: pull.number,
      state: "closed",
    });
    expect(data).toMatchObject({ state: "closed", merged: false });
    const closed = await webhook(
      (r) =>
        r.event === "pull_request" &&
        r.payload.action === "closed" &&
        r.payload.number === pull.number,
    );
    expect(closed.payload.pull_request).toMatchObject({ merged: false, merged_by: null });
    const refused = await failureOf(h.emulator.merge({ repo: slug, pull: pull.number, by: "mia" }));
    expect(refused).toEqual({ status: 405, message: NOT_MERGEABLE });
  });

  it("commits deletions and new branches for scenarios", async () => {
    const sha = await h.emulator.commitFiles({
      repo: slug,
      branch: "scratch",
      files: { "src/app.ts": null, ".github/fleet.yml": "trigger: [broken\n" },
      message: "Break the config",
      by: "alice",
    });
    expect(await git(["rev-parse", "refs/heads/scratch"])).toBe(sha);
    expect(await parentsOf(sha)).toEqual([await mainTip()]);
    expect(await git(["ls-tree", "-r", "--name-only", sha])).not.toContain("src/app.ts");
    expect(await fileAt(sha, ".github/fleet.yml")).toBe("trigger: [broken");
    expect(h.emulator.state.ciRuns(slug).some((r) => r.sha === sha)).toBe(false);
    expect(h.emulator.stats().invalid).toBe(0);
  });
});
