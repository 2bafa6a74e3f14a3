import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leakedWorktrees } from "../../src/sim/worktrees.js";

let dataDir: string;
const git = (cwd: string, ...args: string[]) =>
  execa("git", ["-c", "user.name=t", "-c", "user.email=t@t.invalid", ...args], { cwd });

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "fleet-leaks-"));
  const seed = join(dataDir, "seed");
  await mkdir(seed);
  await git(seed, "init", "-q", "-b", "main");
  await git(seed, "commit", "-q", "--allow-empty", "-m", "seed");
  await mkdir(join(dataDir, "mirrors", "acme"), { recursive: true });
  await git(dataDir, "clone", "-q", "--bare", seed, join("mirrors", "acme", "api.git"));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe("leaked worktrees", () => {
  it("finds worktree folders and worktrees still registered in a mirror, each once", async () => {
    const mirror = join(dataDir, "mirrors", "acme", "api.git");
    expect(await leakedWorktrees([dataDir])).toEqual([]);

    const kept = join(dataDir, "worktrees", "1-1");
    await git(mirror, "worktree", "add", "-q", kept, "main");
    const stray = join(dataDir, "worktrees", "2-1");
    await mkdir(stray, { recursive: true });
    const elsewhere = join(dataDir, "elsewhere");
    await git(mirror, "worktree", "add", "-q", "--detach", elsewhere, "main");
    expect(await leakedWorktrees([dataDir])).toEqual([elsewhere, kept, stray].sort());

    await git(mirror, "worktree", "remove", "--force", kept);
    await git(mirror, "worktree", "remove", "--force", elsewhere);
    await rm(stray, { recursive: true });
    expect(await leakedWorktrees([dataDir])).toEqual([]);
  });
});
