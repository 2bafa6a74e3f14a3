import { readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { execa } from "execa";

/**
 * Worktrees a runner left behind: folders under <dataDir>/worktrees, plus worktrees still
 * registered in its mirrors (beyond each bare mirror itself), counted once per path.
 */
export async function leakedWorktrees(dataDirs: readonly string[]): Promise<string[]> {
  const leaked = new Set<string>();
  for (const dataDir of dataDirs) {
    for (const name of await list(join(dataDir, "worktrees"))) {
      leaked.add(resolve(dataDir, "worktrees", name));
    }
    for (const owner of await list(join(dataDir, "mirrors"))) {
      for (const repo of await list(join(dataDir, "mirrors", owner))) {
        if (!repo.endsWith(".git")) continue;
        const mirror = join(dataDir, "mirrors", owner, repo);
        const found = await execa("git", ["worktree", "list", "--porcelain"], {
          cwd: mirror,
          reject: false,
        });
        const paths = found.stdout
          .split("\n")
          .filter((line) => line.startsWith("worktree "))
          .map((line) => resolve(line.slice("worktree ".length)));
        for (const path of paths.slice(1)) leaked.add(path);
      }
    }
  }
  return [...leaked].sort();
}

async function list(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}
