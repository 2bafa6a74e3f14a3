import { execFileSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { isAbsolute, join, relative, sep } from "node:path";
import { describe, expect, it } from "vitest";
import { attemptDirFor, leaseFileFor, worktreeDirFor } from "../../src/runner/attempt-meta.js";
import { branchName, slugify } from "../../src/runner/branch-name.js";
import { Workspaces } from "../../src/runner/workspace.js";
import { gitRemote, sh } from "../runner/support/git-remote.js";
import { tempDir } from "../runner/support/temp-dir.js";

/** Titles an issue author controls, aimed at the branch name and the folders made from it. */
const HOSTILE_TITLES = [
  "../../etc/passwd",
  "/abs/path",
  "..\\..\\x",
  "nul\u0000byte",
  "x".repeat(5000),
  "日本語のタイトル",
  "ｆｕｌｌｗｉｄｔｈ ﬁx",
  "-rf --force",
  "refs/heads/main",
  "HEAD@{1}~^:?*[",
  "name.lock",
  "\u202Egnp.exe",
  "",
  "   ",
  "....",
];

function inside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

describe("names derived from hostile issue titles", () => {
  it.each(HOSTILE_TITLES.map((title) => [JSON.stringify(title).slice(0, 40), title]))(
    "%s yields a valid branch under fleet/",
    (_label, title) => {
      const branch = branchName(42, title);
      expect(branch).toMatch(/^fleet\/42-[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(branch.length).toBeLessThanOrEqual("fleet/42-".length + 40);
      // git agrees it is a plain branch name
      expect(
        execFileSync("git", ["check-ref-format", "--branch", branch], { encoding: "utf8" }).trim(),
      ).toBe(branch);
    },
  );

  it("keeps readable titles readable", () => {
    expect(slugify("Fix: the ../README!")).toBe("fix-the-readme");
    expect(slugify("Café au lait")).toBe("cafe-au-lait");
    expect(branchName(3, "日本語")).toBe("fleet/3-issue");
  });

  it("refuses issue numbers that could carry a path", () => {
    for (const n of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 2]) {
      expect(() => branchName(n, "x")).toThrow(/positive integer/);
    }
  });

  it("names attempt and worktree folders from ids only, inside the data dir", () => {
    const data = "/var/lib/fleet";
    for (const [task, attempt] of [
      [1, 1],
      [987654, 12],
    ] as const) {
      for (const dir of [attemptDirFor(data, task, attempt), worktreeDirFor(data, task, attempt)]) {
        expect(inside(data, dir)).toBe(true);
        expect(dir).toMatch(/\/(attempts|worktrees)\/\d+-\d+$/);
      }
      expect(inside(data, leaseFileFor(attemptDirFor(data, task, attempt)))).toBe(true);
    }
  });
});

describe("worktrees made for hostile titles", () => {
  const root = tempDir("fleet-hostile-paths-");
  const repo = gitRemote(root, "acme/api");
  const dataDir = join(root, "data");
  const ws = new Workspaces({ root: dataDir });

  it("checks each one out on its fleet/ branch, in a folder inside the data dir", async () => {
    const made = new Set<string>();
    for (const [i, title] of HOSTILE_TITLES.slice(0, 6).entries()) {
      const branch = branchName(100 + i, title);
      const { dir } = await ws.createWorktree({
        repoFullName: repo.repoFullName,
        cloneUrl: repo.cloneUrl,
        branch,
        baseBranch: "main",
      });
      expect(inside(join(dataDir, "worktrees", "acme", "api"), dir), dir).toBe(true);
      expect(inside(realpathSync(dataDir), realpathSync(dir))).toBe(true);
      expect(sh(["symbolic-ref", "--short", "HEAD"], dir)).toBe(branch);
      made.add(dir);
    }
    expect(made.size).toBe(6);
    // nothing was written next to the data dir or at an absolute path from a title
    expect(existsSync(join(root, "etc"))).toBe(false);
    expect(existsSync("/abs/path")).toBe(false);
  });

  it("refuses repository names that would leave the mirrors folder", async () => {
    for (const name of ["../x", "acme/..", "acme/../../x", "/abs/x", "acme", "a/b/c", "acme/.."]) {
      await expect(
        ws.ensureMirror({ repoFullName: name, cloneUrl: repo.cloneUrl }),
        name,
      ).rejects.toThrow(/not a repository name/);
    }
  });
});
