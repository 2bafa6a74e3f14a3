import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { branchName } from "../../src/runner/branch-name.js";
import { GitError, git } from "../../src/runner/git.js";
import { Workspaces } from "../../src/runner/workspace.js";
import { type GitHttpServer, startGitHttpServer } from "./support/git-http-server.js";
import { tempDir } from "./support/temp-dir.js";

const root = tempDir();
const remotes = join(root, "remotes");
const remote = join(remotes, "acme", "api.git");
const cloneUrl = `file://${remote}`;
const repoFullName = "acme/api";

/** Test-side git, as a developer or the agent would run it (not the code under test). */
function sh(args: string[], cwd: string, name = "dev"): string {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: name,
      GIT_AUTHOR_EMAIL: `${name}@example.invalid`,
      GIT_COMMITTER_NAME: name,
      GIT_COMMITTER_EMAIL: `${name}@example.invalid`,
    },
  }).trim();
}

const dev = join(root, "dev");

/** Commits a file on the remote's main, as if someone merged upstream. */
function upstreamCommit(file: string, content: string): string {
  writeFileSync(join(dev, file), content);
  sh(["add", file], dev);
  sh(["commit", "-qm", `add ${file}`], dev);
  sh(["push", "-q", "origin", "main"], dev);
  return sh(["rev-parse", "HEAD"], dev);
}

function remoteSha(ref: string): string {
  return sh(["rev-parse", ref], remote);
}

beforeAll(() => {
  mkdirSync(remote, { recursive: true });
  sh(["init", "-q", "--bare", "--initial-branch=main", remote], root);
  sh(["init", "-q", "--initial-branch=main", dev], root);
  sh(["remote", "add", "origin", cloneUrl], dev);
  upstreamCommit("README.md", "# api\n");
});

describe("Workspaces", () => {
  it("clones the mirror once, then fetches and prunes", async () => {
    const ws = new Workspaces({ root: join(root, "ws-mirror") });
    const mirror = await ws.ensureMirror({ repoFullName, cloneUrl });
    expect(mirror).toBe(join(root, "ws-mirror", "mirrors", "acme", "api.git"));
    expect(sh(["rev-parse", "refs/remotes/origin/main"], mirror)).toBe(remoteSha("main"));

    const newer = upstreamCommit("CHANGELOG.md", "v1\n");
    sh(["push", "-q", "origin", "main:old-feature"], dev);
    expect(await ws.ensureMirror({ repoFullName, cloneUrl })).toBe(mirror);
    expect(sh(["rev-parse", "refs/remotes/origin/main"], mirror)).toBe(newer);
    expect(sh(["rev-parse", "refs/remotes/origin/old-feature"], mirror)).toBe(newer);

    sh(["push", "-q", "origin", ":old-feature"], dev);
    await ws.ensureMirror({ repoFullName, cloneUrl });
    expect(
      spawnSync("git", ["rev-parse", "--verify", "-q", "refs/remotes/origin/old-feature"], {
        cwd: mirror,
      }).status,
    ).toBe(1);
  });

  it("runs an attempt's git life: worktree, agent edits, commit, push", async () => {
    const ws = new Workspaces({ root: join(root, "ws-flow") });
    const branch = branchName(12, "Fix: the ../README!");
    const { dir, baseSha } = await ws.createWorktree({
      repoFullName,
      cloneUrl,
      branch,
      baseBranch: "main",
    });
    expect(baseSha).toBe(remoteSha("main"));
    expect(sh(["symbolic-ref", "--short", "HEAD"], dir)).toBe(branch);
    expect(readFileSync(join(dir, "README.md"), "utf8")).toBe("# api\n");

    // the agent commits one file and leaves the rest uncommitted
    writeFileSync(join(dir, "a.txt"), "committed by the agent\n");
    sh(["add", "a.txt"], dir, "agent");
    sh(["commit", "-qm", "agent work"], dir, "agent");
    writeFileSync(join(dir, "b.txt"), "left uncommitted\n");
    writeFileSync(join(dir, "README.md"), "# API\n");

    expect(await ws.commitAll(dir, "Fix the README\n\nRefs #12")).toBe(true);
    expect(sh(["status", "--porcelain"], dir)).toBe("");
    expect(sh(["log", "-1", "--format=%an <%ae>|%cn|%s"], dir)).toBe(
      "agent-fleet[bot] <agent-fleet[bot]@users.noreply.github.com>|agent-fleet[bot]|Fix the README",
    );
    expect(await ws.commitAll(dir, "nothing left")).toBe(false);
    expect(await ws.hasChangesSince(dir, baseSha)).toBe(true);
    expect((await ws.changedFiles(dir, baseSha)).sort()).toEqual(["README.md", "a.txt", "b.txt"]);

    await ws.push({ dir, cloneUrl, branch, defaultBranch: "main" });
    expect(remoteSha(`refs/heads/${branch}`)).toBe(sh(["rev-parse", "HEAD"], dir));
    expect(
      sh(["ls-tree", "-r", "--name-only", `refs/heads/${branch}`], remote)
        .split("\n")
        .sort(),
    ).toEqual(["CHANGELOG.md", "README.md", "a.txt", "b.txt"]);
    expect(sh(["show", `refs/heads/${branch}:b.txt`], remote)).toBe("left uncommitted");
  });

  it("sees no changes when the agent changed nothing, or undid its own commit", async () => {
    const ws = new Workspaces({ root: join(root, "ws-noop") });
    const { dir, baseSha } = await ws.createWorktree({
      repoFullName,
      cloneUrl,
      branch: branchName(13, "noop"),
      baseBranch: "main",
    });
    expect(await ws.commitAll(dir, "nothing")).toBe(false);
    expect(await ws.hasChangesSince(dir, baseSha)).toBe(false);
    expect(await ws.changedFiles(dir, baseSha)).toEqual([]);

    writeFileSync(join(dir, "tmp.txt"), "x\n");
    sh(["add", "tmp.txt"], dir, "agent");
    sh(["commit", "-qm", "try"], dir, "agent");
    sh(["revert", "--no-edit", "HEAD"], dir, "agent");
    expect(sh(["rev-list", "--count", `${baseSha}..HEAD`], dir)).toBe("2");
    expect(await ws.hasChangesSince(dir, baseSha)).toBe(false);
  });

  it("keeps the mirror sound under concurrent worktrees of one repo", async () => {
    const ws = new Workspaces({ root: join(root, "ws-concurrent") });
    const branches = [21, 22, 23, 24].map((n) => branchName(n, `parallel ${n}`));
    const trees = await Promise.all(
      branches.map((branch) =>
        ws.createWorktree({ repoFullName, cloneUrl, branch, baseBranch: "main" }),
      ),
    );
    const mirror = ws.mirrorDir(repoFullName);
    expect(spawnSync("git", ["fsck", "--no-dangling"], { cwd: mirror }).status).toBe(0);
    const listed = sh(["worktree", "list", "--porcelain"], mirror);
    for (const [i, tree] of trees.entries()) {
      expect(listed).toContain(`worktree ${tree.dir}\n`);
      expect(sh(["symbolic-ref", "--short", "HEAD"], tree.dir)).toBe(branches[i]);
      expect(tree.baseSha).toBe(remoteSha("main"));
    }
    expect(new Set(trees.map((t) => t.dir)).size).toBe(4);

    // removal, both by this instance and by a fresh one (a restarted runner)
    const [first, second] = trees;
    if (!first || !second) throw new Error("missing worktrees");
    await ws.removeWorktree(first.dir);
    await new Workspaces({ root: join(root, "ws-concurrent") }).removeWorktree(second.dir);
    const after = sh(["worktree", "list", "--porcelain"], mirror);
    for (const removed of [first, second]) {
      expect(existsSync(removed.dir)).toBe(false);
      expect(after).not.toContain(`worktree ${removed.dir}\n`);
    }
    expect(
      spawnSync("git", ["rev-parse", "--verify", "-q", `refs/heads/${branches[0]}`], {
        cwd: mirror,
      }).status,
    ).toBe(1);
    expect(
      spawnSync("git", ["rev-parse", "--verify", "-q", `refs/heads/${branches[2]}`], {
        cwd: mirror,
      }).status,
    ).toBe(0);
  });

  it("recreates a worktree over a crashed attempt's leftovers", async () => {
    const ws = new Workspaces({ root: join(root, "ws-retry") });
    const branch = branchName(30, "retry");
    const dir = join(root, "ws-retry", "attempt-dir");
    const first = await ws.createWorktree({
      repoFullName,
      cloneUrl,
      branch,
      baseBranch: "main",
      dir,
    });
    writeFileSync(join(first.dir, "half-done.txt"), "from the dead attempt\n");
    const second = await ws.createWorktree({
      repoFullName,
      cloneUrl,
      branch,
      baseBranch: "main",
      dir,
    });
    expect(second.dir).toBe(dir);
    expect(existsSync(join(dir, "half-done.txt"))).toBe(false);
    expect(await ws.hasChangesSince(dir, second.baseSha)).toBe(false);
  });

  it("refuses bad names and URLs that carry credentials", async () => {
    const ws = new Workspaces({ root: join(root, "ws-bad") });
    await expect(ws.ensureMirror({ repoFullName: "../etc", cloneUrl })).rejects.toThrow(
      /not a repository name/,
    );
    await expect(
      ws.ensureMirror({
        repoFullName,
        cloneUrl: "https://x-access-token:abc@127.0.0.1/acme/api.git",
      }),
    ).rejects.toThrow(/must not embed credentials/);
    await expect(
      ws.createWorktree({ repoFullName, cloneUrl, branch: "fleet/a..b", baseBranch: "main" }),
    ).rejects.toThrow(/not a valid branch name/);
    await expect(
      ws.createWorktree({
        repoFullName,
        cloneUrl,
        branch: "fleet/1-x",
        baseBranch: "no-such-branch",
      }),
    ).rejects.toThrow(/base branch no-such-branch not found/);
  });
});

describe("credentials", () => {
  const token = `fleet-test-token-${randomBytes(12).toString("hex")}`;
  let server: GitHttpServer;
  let httpUrl: string;

  beforeAll(async () => {
    server = await startGitHttpServer(remotes, token);
    httpUrl = server.url("acme/api.git");
  });
  afterAll(() => server.close());

  it("authenticates per command and never stores or exposes the token", async () => {
    const wsRoot = join(root, "ws-http");
    const ws = new Workspaces({ root: wsRoot });
    const err = await ws.ensureMirror({ repoFullName, cloneUrl: httpUrl }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect(server.requests.some((r) => !r.authorized)).toBe(true);

    const branch = branchName(40, "over http");
    const { dir, baseSha } = await ws.createWorktree({
      repoFullName,
      cloneUrl: httpUrl,
      token,
      branch,
      baseBranch: "main",
    });
    expect(baseSha).toBe(remoteSha("main"));
    writeFileSync(join(dir, "http.txt"), "pushed with the token\n");
    expect(await ws.commitAll(dir, "over http")).toBe(true);
    await ws.push({ dir, cloneUrl: httpUrl, branch, defaultBranch: "main", token });
    expect(remoteSha(`refs/heads/${branch}`)).toBe(sh(["rev-parse", "HEAD"], dir));
    expect(
      server.requests.filter((r) => r.authorized && r.method === "POST").length,
    ).toBeGreaterThanOrEqual(2);

    expect(server.tokenSeenInArgv).toBe(false);
    // nothing the runner wrote (mirror config, worktree .git, logs of refs) holds the token
    const grep = spawnSync("grep", ["-r", "-l", "-F", "--", token, wsRoot], { encoding: "utf8" });
    expect(grep.stdout).toBe("");
    expect(grep.status).toBe(1);
    expect(readFileSync(join(ws.mirrorDir(repoFullName), "config"), "utf8")).not.toContain(
      "x-access-token",
    );

    const wrong = await ws
      .push({ dir, cloneUrl: httpUrl, branch, defaultBranch: "main", token: `${token}-wrong` })
      .catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(GitError);
    expect(String((wrong as Error).message)).not.toContain(token);
  });

  it("refuses to send the token from a workspace whose config redirects traffic", async () => {
    const ws = new Workspaces({ root: join(root, "ws-hostile") });
    const branch = branchName(41, "hostile agent");
    const { dir } = await ws.createWorktree({
      repoFullName,
      cloneUrl: httpUrl,
      token,
      branch,
      baseBranch: "main",
    });
    writeFileSync(join(dir, "x.txt"), "x\n");
    await ws.commitAll(dir, "x");

    // the agent points the remote URL at a server of its choosing
    sh(["config", `url.http://127.0.0.1:9/steal/.insteadOf`, httpUrl], dir, "agent");
    await expect(
      ws.push({ dir, cloneUrl: httpUrl, branch, defaultBranch: "main", token }),
    ).rejects.toThrow(
      /refusing to send credentials.*url\.http:\/\/127\.0\.0\.1:9\/steal\/\.insteadof/,
    );
    sh(["config", "--unset", `url.http://127.0.0.1:9/steal/.insteadOf`], dir, "agent");

    // and plants hooks that would read the token or run during the fleet's commit
    const hooks = join(ws.mirrorDir(repoFullName), "hooks");
    const leak = join(root, "leaked-token.txt");
    for (const hook of ["pre-push", "pre-commit", "post-commit"]) {
      writeFileSync(join(hooks, hook), `#!/bin/sh\necho "${hook} $FLEET_GIT_TOKEN" >> ${leak}\n`, {
        mode: 0o755,
      });
    }
    writeFileSync(join(dir, "y.txt"), "y\n");
    expect(await ws.commitAll(dir, "y")).toBe(true);
    await ws.push({ dir, cloneUrl: httpUrl, branch, defaultBranch: "main", token });
    expect(existsSync(leak)).toBe(false);
    expect(sh(["show", `refs/heads/${branch}:y.txt`], remote)).toBe("y");
  });

  it("redacts the token from git errors", async () => {
    const err = await git(
      ["-c", 'alias.leak=!echo "token is $FLEET_GIT_TOKEN" >&2; exit 3', "leak"],
      {
        token,
      },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    const gitError = err as GitError;
    expect(gitError.message).toContain("token is [redacted]");
    expect(gitError.message).not.toContain(token);
    expect(gitError.stderr).not.toContain(token);
    expect(gitError.exitCode).toBe(3);
  });
});
