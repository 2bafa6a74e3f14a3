import { statfs } from "node:fs/promises";
import { dirname } from "node:path";
import type { CheckResult } from "./types.js";

export const DEFAULT_MIN_FREE_BYTES = 5 * 1024 ** 3;

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** Worktrees, agent output and the embedded database live under FLEET_DATA_DIR. */
export async function checkDisk(dataDir: string, minFreeBytes: number): Promise<CheckResult> {
  // The directory may not exist before the first start: measure the filesystem it will be on.
  let dir = dataDir;
  for (;;) {
    try {
      const fs = await statfs(dir);
      const free = fs.bavail * fs.bsize;
      return free < minFreeBytes
        ? {
            name: "disk space",
            status: "warn",
            detail: `${formatBytes(free)} free for ${dataDir}, below ${formatBytes(minFreeBytes)}`,
            hint: "each running agent has its own worktree there: free space, or point FLEET_DATA_DIR at a larger disk",
          }
        : {
            name: "disk space",
            status: "pass",
            detail: `${formatBytes(free)} free for ${dataDir}`,
          };
    } catch (error) {
      const parent = dirname(dir);
      if ((error as NodeJS.ErrnoException).code !== "ENOENT" || parent === dir) {
        return {
          name: "disk space",
          status: "fail",
          detail: `${dataDir}: ${(error as Error).message}`,
          hint: "FLEET_DATA_DIR must be a writable directory",
        };
      }
      dir = parent;
    }
  }
}
