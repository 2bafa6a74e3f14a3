import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { Workspaces } from "./workspace.js";

/**
 * Removes worktrees no attempt of this runner holds any more: left by attempts that were taken
 * over while the runner was away, or by a crash between an attempt's end and its cleanup.
 */
export async function pruneOrphanWorktrees(input: {
  dataDir: string;
  keep: ReadonlySet<string>;
  workspaces: Workspaces;
  log: Logger;
}): Promise<number> {
  const root = join(input.dataDir, "worktrees");
  let names: string[];
  try {
    names = await readdir(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
  let removed = 0;
  for (const name of names) {
    const dir = join(root, name);
    if (input.keep.has(dir)) continue;
    await input.workspaces.removeWorktree(dir);
    removed += 1;
  }
  if (removed > 0) input.log.info({ removed }, "removed worktrees no attempt holds");
  return removed;
}
