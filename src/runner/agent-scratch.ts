import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import picomatch from "picomatch";

/**
 * Removes the top-level worktree entries an adapter declares as its scratch (e.g. aider's repo
 * map cache), so `git add -A` never puts them in a pull request. Returns the names removed.
 */
export async function removeScratch(
  worktreeDir: string,
  patterns: readonly string[] | undefined,
): Promise<string[]> {
  if (!patterns || patterns.length === 0) return [];
  const isScratch = picomatch([...patterns], { dot: true });
  const names = (await readdir(worktreeDir)).filter((name) => name !== ".git" && isScratch(name));
  await Promise.all(
    names.map((name) => rm(join(worktreeDir, name), { recursive: true, force: true })),
  );
  return names;
}
