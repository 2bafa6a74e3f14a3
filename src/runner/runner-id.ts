import { randomUUID } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";

/**
 * A runner's identity must survive restarts, or it could never find its own attempts again:
 * FLEET_RUNNER_ID when set, otherwise an id made once and kept in the data folder.
 */
export async function resolveRunnerId(dataDir: string, configured?: string): Promise<string> {
  if (configured) return configured;
  const file = join(dataDir, "runner-id");
  try {
    const kept = (await readFile(file, "utf8")).trim();
    if (kept) return kept;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const id = `${hostname()}-${randomUUID().slice(0, 8)}`;
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${id}\n`);
  return id;
}
