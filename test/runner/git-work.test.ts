import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GitError } from "../../src/runner/git.js";
import { Workspaces } from "../../src/runner/workspace.js";
import { gitRemote, sh } from "./support/git-remote.js";
import { tempDir } from "./support/temp-dir.js";

const root = tempDir();
let repoCount = 0;

/** A fresh remote and a workspace root per test: the tests share nothing. */
function setup() {
  repoCount += 1;
  const repo = gitRemote(root, `acme/repo-${repoCount}`);
  const ws = new Workspaces({ root: join(root, `ws-${repoCount}`) });
  const checkout = (branch: string, opts: { fromRemote?: boolean } = {}) =>
    ws.createWorktree({
      repoFullName: repo.repoFullName,
      cloneUrl: repo.cloneUrl,
      branch,
      baseBranch: "main",
      ...(opts.fromRemote ? { requireRemoteBranch: true } : {}),
    });
  return { repo, ws, checkout };
}

describe("rebase", () => {
  it("replays the PR branch onto a newer main and pushes it with a lease", async () => {
    const { repo, ws, checkout } = setup();
    const oldHead = repo.commit("fleet/1-feature", { "feature.txt": "feature\n" }, "feature");
    const newMain = repo.commit("main", { "other.txt": "upstream\n" }, "upstream");

    const { dir, baseSha, startSha } = await checkout("fleet/1-feature", { fromRemote: true });
    expect([baseSha, startSha]).toEqual([newMain, oldHead]);
    expect(await ws.rebase(dir, baseSha)).toEqual({ ok: true });
    const rebased = await ws.headSha(dir);
    expect(rebased).not.toBe(oldHead);
    expect(await ws.isAncestor(dir, newMain)).toBe(true);
    expect(sh(["log", "-1", "--format=%an|%cn|%s"], dir)).toBe("dev|agent-fleet[bot]|feature");

    await ws.push({
      dir,
      cloneUrl: repo.cloneUrl,
      branch: "fleet/1-feature",
      defaultBranch: "main",
      mode: { kind: "lease", expectSha: oldHead },
    });
    expect(repo.sha("refs/heads/fleet/1-feature")).toBe(rebased);
    expect(repo.show("fleet/1-feature", "other.txt")).toBe("upstream");
    expect(repo.show("fleet/1-feature", "feature.txt")).toBe("feature");
  });

  it("refuses to overwrite a branch that moved since the lease was taken", async () => {
    const { repo, ws, checkout } = setup();
    const oldHead = repo.commit("fleet/2-x", { "x.txt": "x\n" });
    repo.commit("main", { "y.txt": "y\n" });
    const { dir, baseSha } = await checkout("fleet/2-x", { fromRemote: true });
    expect((await ws.rebase(dir, baseSha)).ok).toBe(true);

    // a human pushes to the PR while the fleet rebases
    const humans = repo.commit("fleet/2-x", { "human.txt": "mine\n" }, "human fix");
    const err = await ws
      .push({
        dir,
        cloneUrl: repo.cloneUrl,
        branch: "fleet/2-x",
        defaultBranch: "main",
        mode: { kind: "lease", expectSha: oldHead },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect(String((err as Error).message)).toMatch(/stale info|rejected/);
    expect(repo.sha("refs/heads/fleet/2-x")).toBe(humans);
  });

  it("aborts on conflicts and names the files", async () => {
    const { repo, ws, checkout } = setup();
    const oldHead = repo.commit("fleet/3-readme", { "README.md": "# API from the PR\n" });
    repo.commit("main", { "README.md": "# API from main\n", "ok.txt": "fine\n" });
    const { dir, baseSha } = await checkout("fleet/3-readme", { fromRemote: true });
    expect(await ws.rebase(dir, baseSha)).toEqual({ ok: false, conflicts: ["README.md"] });
    // the worktree is back where it was, nothing half-applied
    expect(await ws.headSha(dir)).toBe(oldHead);
    expect(sh(["status", "--porcelain"], dir)).toBe("");
    expect(await ws.unmergedPaths(dir)).toEqual([]);
  });
});

describe("merge leaving conflicts", () => {
  it("leaves the markers for an agent, then concludes the merge it resolved", async () => {
    const { repo, ws, checkout } = setup();
    const oldHead = repo.commit("fleet/4-readme", {
      "README.md": "# API from the PR\n",
      "pr.txt": "pr\n",
    });
    const newMain = repo.commit("main", { "README.md": "# API from main\n", "main.txt": "m\n" });
    const { dir, baseSha } = await checkout("fleet/4-readme", { fromRemote: true });

    const merged = await ws.mergeLeavingConflicts(dir, baseSha, "Merge main into the PR");
    expect(merged).toEqual({ ok: false, conflicts: ["README.md"] });
    expect(await ws.unmergedPaths(dir)).toEqual(["README.md"]);
    expect(readFileSync(join(dir, "README.md"), "utf8")).toMatch(/^<<<<<<< /m);
    expect(await ws.filesWithConflictMarkers(dir, ["README.md", "missing.txt", "../x"])).toEqual([
      "README.md",
    ]);

    // the agent resolves it and stages the file
    writeFileSync(join(dir, "README.md"), "# API from main and the PR\n");
    sh(["add", "README.md"], dir, "agent");
    expect(await ws.unmergedPaths(dir)).toEqual([]);
    expect(await ws.filesWithConflictMarkers(dir, ["README.md"])).toEqual([]);
    expect(await ws.commitAll(dir, "Merge main")).toBe(true);
    const head = await ws.headSha(dir);
    expect(sh(["rev-list", "--parents", "-n", "1", head], dir).split(" ").slice(1)).toEqual([
      oldHead,
      newMain,
    ]);

    await ws.push({
      dir,
      cloneUrl: repo.cloneUrl,
      branch: "fleet/4-readme",
      defaultBranch: "main",
      mode: { kind: "fast-forward" },
    });
    expect(repo.sha("refs/heads/fleet/4-readme")).toBe(head);
  });

  it("merges cleanly without stopping when nothing conflicts", async () => {
    const { repo, ws, checkout } = setup();
    repo.commit("fleet/5-a", { "a.txt": "a\n" });
    const newMain = repo.commit("main", { "b.txt": "b\n" });
    const { dir, baseSha } = await checkout("fleet/5-a", { fromRemote: true });
    expect(await ws.mergeLeavingConflicts(dir, baseSha, "Merge main")).toEqual({ ok: true });
    expect(await ws.isAncestor(dir, newMain)).toBe(true);
    expect(sh(["log", "-1", "--format=%s|%cn"], dir)).toBe("Merge main|agent-fleet[bot]");
  });

  it("concludes a merge whose resolution equals the branch's own tree", async () => {
    const { repo, ws, checkout } = setup();
    const oldHead = repo.commit("fleet/6-keep", { "README.md": "# PR wins\n" });
    repo.commit("main", { "README.md": "# main loses\n" });
    const { dir, baseSha } = await checkout("fleet/6-keep", { fromRemote: true });
    expect((await ws.mergeLeavingConflicts(dir, baseSha, "Merge main")).ok).toBe(false);
    sh(["checkout", "-q", "--ours", "README.md"], dir, "agent");
    sh(["add", "README.md"], dir, "agent");
    expect(await ws.commitAll(dir, "Merge main, keeping the PR")).toBe(true);
    expect(await ws.isAncestor(dir, baseSha)).toBe(true);
    expect(await ws.headSha(dir)).not.toBe(oldHead);
  });
});

describe("fast-forward push", () => {
  it("fails instead of dropping a commit someone pushed meanwhile", async () => {
    const { repo, ws, checkout } = setup();
    repo.commit("fleet/7-ff", { "a.txt": "a\n" });
    const { dir } = await checkout("fleet/7-ff", { fromRemote: true });
    writeFileSync(join(dir, "fix.txt"), "fix\n");
    await ws.commitAll(dir, "fix");
    const theirs = repo.commit("fleet/7-ff", { "theirs.txt": "t\n" }, "someone else");
    await expect(
      ws.push({
        dir,
        cloneUrl: repo.cloneUrl,
        branch: "fleet/7-ff",
        defaultBranch: "main",
        mode: { kind: "fast-forward" },
      }),
    ).rejects.toThrow(/rejected|non-fast-forward|fetch first/);
    expect(repo.sha("refs/heads/fleet/7-ff")).toBe(theirs);
  });

  it("needs the PR branch to exist on the remote", async () => {
    const { checkout } = setup();
    await expect(checkout("fleet/8-gone", { fromRemote: true })).rejects.toThrow(
      /branch fleet\/8-gone not found/,
    );
  });
});

describe("revert", () => {
  it("reverts a squash commit on a fresh branch from main", async () => {
    const { repo, ws, checkout } = setup();
    const before = repo.sha("refs/heads/main");
    const squash = repo.commit("main", { "README.md": "# broken\n", "new.txt": "n\n" }, "Squash");
    repo.commit("main", { "later.txt": "later\n" }, "later work");

    const { dir } = await checkout("fleet/revert-9-abcdef1");
    expect(await ws.revert(dir, squash)).toEqual({ ok: true });
    expect(sh(["log", "-1", "--format=%s|%cn"], dir)).toBe('Revert "Squash"|agent-fleet[bot]');
    expect(readFileSync(join(dir, "README.md"), "utf8")).toBe("# api\n");
    expect(sh(["ls-files", "new.txt"], dir)).toBe("");
    expect(sh(["ls-files", "later.txt"], dir)).toBe("later.txt"); // later work stays
    expect(sh(["diff", "--name-only", before, "HEAD"], dir)).toBe("later.txt");
  });

  it("reverts a merge commit against its first parent", async () => {
    const { repo, ws, checkout } = setup();
    repo.commit("feature", { "f1.txt": "1\n" }, "f1");
    repo.commit("feature", { "f2.txt": "2\n" }, "f2");
    const mainBefore = repo.sha("refs/heads/main");
    const merge = repo.mergeIntoMain("feature");
    expect(repo.parents(merge)).toHaveLength(2);

    const { dir } = await checkout(`fleet/revert-10-${merge.slice(0, 7)}`);
    expect(await ws.revert(dir, merge)).toEqual({ ok: true });
    expect(sh(["rev-parse", "HEAD^{tree}"], dir)).toBe(repo.tree(mainBefore));
    expect(sh(["rev-list", "--parents", "-n", "1", "HEAD"], dir).split(" ")).toHaveLength(2);
  });

  it("stops on conflicts with later commits and leaves the tree clean", async () => {
    const { repo, ws, checkout } = setup();
    const bad = repo.commit("main", { "README.md": "# bad\n" }, "bad");
    const later = repo.commit("main", { "README.md": "# bad, then edited\n" }, "edit");
    const { dir } = await checkout("fleet/revert-11-conflict");
    expect(await ws.revert(dir, bad)).toEqual({ ok: false, conflicts: ["README.md"] });
    expect(await ws.headSha(dir)).toBe(later);
    expect(sh(["status", "--porcelain"], dir)).toBe("");
  });

  it("refuses something that is not a sha", async () => {
    const { ws, checkout } = setup();
    const { dir } = await checkout("fleet/revert-12-x");
    await expect(ws.revert(dir, "--exec=touch /tmp/x")).rejects.toThrow(/not a commit sha/);
  });
});
