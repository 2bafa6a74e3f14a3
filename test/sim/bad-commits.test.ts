import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { unrevertedBadCommits } from "../../src/sim/bad-commits.js";
import { tempDir } from "../runner/support/temp-dir.js";

const IDENTITY = {
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@127.0.0.1",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@127.0.0.1",
};

/** A work tree whose commits are made one by one; returns each commit's sha. */
async function history(dir: string) {
  const git = async (...args: string[]) =>
    (await execa("git", args, { cwd: dir, env: IDENTITY })).stdout.trim();
  await git("init", "-q", "--initial-branch=main");
  const commit = async (file: string, text: string, message: string) => {
    await writeFile(join(dir, file), text);
    await git("add", "-A");
    await git("commit", "-q", "-m", message);
    return git("rev-parse", "HEAD");
  };
  return { git, commit, gitDir: join(dir, ".git") };
}

describe("unrevertedBadCommits", () => {
  it("counts a red commit until a later commit reverts it, squashed or not", async () => {
    const dir = tempDir();
    const { git, commit, gitDir } = await history(dir);
    await commit("a.txt", "one\n", "first");
    const bad = await commit("a.txt", "one\ntwo\n", "breaks the build");
    await commit("b.txt", "other\n", "unrelated");
    expect(await unrevertedBadCommits(gitDir, "main", new Set([bad]))).toEqual([bad]);

    await git("revert", "--no-edit", bad);
    expect(await unrevertedBadCommits(gitDir, "main", new Set([bad]))).toEqual([]);
  });

  it("does not take an unrelated later change for a revert", async () => {
    const dir = tempDir();
    const { commit, gitDir } = await history(dir);
    await commit("a.txt", "one\n", "first");
    const bad = await commit("a.txt", "one\ntwo\n", "breaks the build");
    await commit("a.txt", "one\ntwo\nthree\n", "builds on it");
    const green = await commit("c.txt", "x\n", "fine");
    expect(await unrevertedBadCommits(gitDir, "main", new Set([bad, "f".repeat(40)]))).toEqual([
      bad,
    ]);
    expect(await unrevertedBadCommits(gitDir, "main", new Set([green]))).toEqual([green]);
  });
});
