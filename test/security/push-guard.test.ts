import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { branchName } from "../../src/runner/branch-name.js";
import { git } from "../../src/runner/git.js";
import { assertFleetPush, guardGitCommand, PushRefusedError } from "../../src/runner/push-guard.js";
import { Workspaces } from "../../src/runner/workspace.js";
import { gitRemote, sh } from "../runner/support/git-remote.js";
import { tempDir } from "../runner/support/temp-dir.js";

const SHA = "a".repeat(40);
const URL = "file:///srv/acme/api.git";

describe("which pushes the guard lets through", () => {
  it("allows full refs under refs/heads/fleet/, forced, fast-forward or with a lease", () => {
    expect(
      assertFleetPush(["--no-verify", "--quiet", URL, "+HEAD:refs/heads/fleet/12-fix-it"]),
    ).toEqual(["refs/heads/fleet/12-fix-it"]);
    expect(assertFleetPush([URL, "HEAD:refs/heads/fleet/revert-3-abcdef1"])).toEqual([
      "refs/heads/fleet/revert-3-abcdef1",
    ]);
    expect(
      assertFleetPush([
        `--force-with-lease=refs/heads/fleet/4-x:${SHA}`,
        URL,
        "HEAD:refs/heads/fleet/4-x",
      ]),
    ).toEqual(["refs/heads/fleet/4-x"]);
  });

  it.each([
    ["the default branch", [URL, "HEAD:refs/heads/main"]],
    ["a forced push to the default branch", [URL, "+HEAD:refs/heads/main"]],
    ["another branch", [URL, "HEAD:refs/heads/feature/x"]],
    ["a short destination git would guess at", [URL, "HEAD:fleet/1-x"]],
    ["a refspec without a destination", [URL, "HEAD"]],
    ["a branch name alone", [URL, "fleet/1-x"]],
    ["a tag under fleet/", [URL, "HEAD:refs/tags/fleet/1-x"]],
    ["a prefix look-alike", [URL, "HEAD:refs/heads/fleetx/1"]],
    ["the bare prefix", [URL, "HEAD:refs/heads/fleet/"]],
    ["a path climbing out", [URL, "HEAD:refs/heads/fleet/../main"]],
    ["a glob", [URL, "refs/heads/*:refs/heads/fleet/*"]],
    ["a negative refspec", [URL, "^refs/heads/main"]],
    ["one bad refspec among good ones", [URL, "HEAD:refs/heads/fleet/1", "HEAD:refs/heads/main"]],
    ["no refspec (config decides)", [URL]],
    ["--all", ["--all", URL]],
    ["--mirror", ["--mirror", URL]],
    ["--tags", ["--tags", URL, "HEAD:refs/heads/fleet/1"]],
    ["--repo", ["--repo=other", "HEAD:refs/heads/fleet/1"]],
    ["--receive-pack", ["--receive-pack=sh", URL, "HEAD:refs/heads/fleet/1"]],
    [
      "a lease on the default branch",
      [`--force-with-lease=main:${SHA}`, URL, "HEAD:refs/heads/fleet/1"],
    ],
  ])("refuses %s", (_what, args) => {
    expect(() => assertFleetPush(args)).toThrow(PushRefusedError);
  });

  it("refuses the default branch even when it lives under fleet/", () => {
    expect(() =>
      assertFleetPush([URL, "HEAD:refs/heads/fleet/main"], { defaultBranch: "fleet/main" }),
    ).toThrow(/refs\/heads\/fleet\/main: it is the default branch/);
    expect(
      assertFleetPush([URL, "HEAD:refs/heads/fleet/1"], { defaultBranch: "fleet/main" }),
    ).toEqual(["refs/heads/fleet/1"]);
  });

  it("finds a push behind git's global options and refuses the other ways to push", () => {
    expect(() => guardGitCommand(["-c", "a.b=c", "push", URL, "HEAD:refs/heads/main"])).toThrow(
      PushRefusedError,
    );
    expect(() =>
      guardGitCommand(["--git-dir", "/x", "push", URL, "HEAD:refs/heads/fleet/1"]),
    ).toThrow(/global options/);
    expect(() => guardGitCommand(["send-pack", URL, "HEAD:refs/heads/main"])).toThrow(/send-pack/);
    expect(() => guardGitCommand(["http-push", URL, "main"])).toThrow(/http-push/);
    // not a push: nothing to check
    expect(() => guardGitCommand(["log", "refs/heads/main"])).not.toThrow();
    expect(() =>
      guardGitCommand(["-C", "/x", "push", URL, "HEAD:refs/heads/fleet/1"]),
    ).not.toThrow();
  });
});

describe("pushes against a real remote", () => {
  const root = tempDir("fleet-push-guard-");
  const repo = gitRemote(root, "acme/api");
  const ws = new Workspaces({ root: join(root, "data") });

  async function worktreeWithCommit(issue: number) {
    const branch = branchName(issue, "guarded push");
    const { dir } = await ws.createWorktree({
      repoFullName: repo.repoFullName,
      cloneUrl: repo.cloneUrl,
      branch,
      baseBranch: "main",
    });
    writeFileSync(join(dir, "change.txt"), `change ${issue}\n`);
    await ws.commitAll(dir, `change ${issue}`);
    return { dir, branch };
  }

  /** Every ref in the remote with its sha: what a refused push must leave untouched. */
  const remoteRefs = () => sh(["for-each-ref", "--format=%(refname) %(objectname)"], repo.remote);

  it("refuses main and feature/x through Workspaces.push and leaves the remote as it was", async () => {
    const { dir } = await worktreeWithCommit(1);
    const before = remoteRefs();
    for (const branch of ["main", "feature/x"]) {
      const refused = await ws
        .push({
          dir,
          cloneUrl: repo.cloneUrl,
          branch,
          defaultBranch: "main",
          token: "ghs_unused0123456789abcdef",
        })
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(PushRefusedError);
      expect(String(refused)).toMatch(
        branch === "main"
          ? /it is the default branch/
          : /the fleet pushes only to branches under fleet\//,
      );
    }
    expect(remoteRefs()).toBe(before);
    expect(repo.sha("refs/heads/feature/x")).toBe("");
  });

  it("refuses a raw git push to main, --all and --mirror, and the remote keeps its refs", async () => {
    const { dir } = await worktreeWithCommit(2);
    const before = remoteRefs();
    const attempts = [
      ["push", "--quiet", repo.cloneUrl, "+HEAD:refs/heads/main"],
      ["push", "--all", repo.cloneUrl],
      ["push", "--mirror", repo.cloneUrl],
      ["push", repo.cloneUrl, "HEAD:main"],
    ];
    for (const args of attempts) {
      await expect(git(args, { cwd: dir }), args.join(" ")).rejects.toBeInstanceOf(
        PushRefusedError,
      );
    }
    expect(remoteRefs()).toBe(before);
  });

  it("refuses the default branch by name when the caller says which it is", async () => {
    const { dir } = await worktreeWithCommit(3);
    await expect(
      git(["push", repo.cloneUrl, "HEAD:refs/heads/fleet/3-guarded-push"], {
        cwd: dir,
        defaultBranch: "fleet/3-guarded-push",
      }),
    ).rejects.toThrow(/it is the default branch/);
    expect(repo.sha("refs/heads/fleet/3-guarded-push")).toBe("");
  });

  it("refuses, through Workspaces.push, a repository whose default branch is the fleet branch", async () => {
    const { dir, branch } = await worktreeWithCommit(5);
    const refused = await ws
      .push({ dir, cloneUrl: repo.cloneUrl, branch, defaultBranch: branch })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PushRefusedError);
    expect(repo.sha(`refs/heads/${branch}`)).toBe("");
  });

  it("pushes a fleet/ branch", async () => {
    const { dir, branch } = await worktreeWithCommit(4);
    const main = repo.sha("refs/heads/main");
    await ws.push({ dir, cloneUrl: repo.cloneUrl, branch, defaultBranch: "main" });
    expect(repo.sha(`refs/heads/${branch}`)).toBe(await ws.headSha(dir));
    expect(repo.show(`refs/heads/${branch}`, "change.txt")).toBe("change 4");
    expect(repo.sha("refs/heads/main")).toBe(main);
  });
});
