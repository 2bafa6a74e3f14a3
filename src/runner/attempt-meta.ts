import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** What a restarted runner needs to finish an attempt it did not start: kept in its folder. */
export interface AttemptMeta {
  branch: string;
  baseSha: string;
  worktreeDir: string;
  startedAtMs: number;
  adapter: string;
}

const META_FILE = "attempt.json";

export async function writeAttemptMeta(attemptDir: string, meta: AttemptMeta): Promise<void> {
  const path = join(attemptDir, META_FILE);
  await writeFile(`${path}.tmp`, JSON.stringify(meta));
  await rename(`${path}.tmp`, path);
}

export async function readAttemptMeta(attemptDir: string): Promise<AttemptMeta | null> {
  try {
    return JSON.parse(await readFile(join(attemptDir, META_FILE), "utf8")) as AttemptMeta;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

export function attemptDirFor(dataDir: string, taskId: number, attemptNumber: number): string {
  return join(dataDir, "attempts", `${taskId}-${attemptNumber}`);
}

export function worktreeDirFor(dataDir: string, taskId: number, attemptNumber: number): string {
  return join(dataDir, "worktrees", `${taskId}-${attemptNumber}`);
}

export function leaseFileFor(attemptDir: string): string {
  return join(attemptDir, "lease");
}
