import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readlink, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres } from "../../src/db/embedded.js";
import { hydrateEmbeddedPostgresSymlinks } from "../../src/db/embedded-symlinks.js";

const dirs: string[] = [];
async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

/** The pid of a process that has certainly exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await once(child, "exit");
  if (!child.pid) throw new Error("no pid");
  return child.pid;
}

describe("startEmbeddedPostgres", () => {
  it("keeps data across stop and start, and survives a stale postmaster.pid", async () => {
    const dataDir = join(await tempDir("fleet-embedded-"), "pg");
    const first = await startEmbeddedPostgres({ dataDir });
    try {
      expect(first.url).toMatch(/^postgres:\/\/fleet:fleet@127\.0\.0\.1:\d+\/fleet$/);
      await query(first.url, "create table survivor (note text)");
      await query(first.url, "insert into survivor values ('still here')");
    } finally {
      await first.stop();
    }
    expect(existsSync(join(dataDir, "PG_VERSION"))).toBe(true);
    expect(existsSync(join(dataDir, "postmaster.pid"))).toBe(false);

    // As if the machine crashed: a pid file naming a process that no longer exists.
    await writeFile(join(dataDir, "postmaster.pid"), `${await deadPid()}\n${dataDir}\n`);
    const second = await startEmbeddedPostgres({ dataDir });
    try {
      const rows = await query<{ note: string }>(second.url, "select note from survivor");
      expect(rows).toEqual([{ note: "still here" }]);
      const pidFile = await readFile(join(dataDir, "postmaster.pid"), "utf8");
      expect(Number(pidFile.split("\n")[0])).toBeGreaterThan(0);
    } finally {
      await second.stop();
    }
  });
});

describe("hydrateEmbeddedPostgresSymlinks", () => {
  it("creates missing relative library links once, as the skipped postinstall would", async () => {
    const root = await tempDir("fleet-hydrate-");
    await mkdir(join(root, "native", "lib"), { recursive: true });
    await writeFile(join(root, "native", "lib", "libfoo.so.1.2"), "real library");
    await writeFile(
      join(root, "native", "pg-symlinks.json"),
      JSON.stringify([
        { source: "native/lib/libfoo.so.1.2", target: "native/lib/libfoo.so" },
        { source: "native/lib/libfoo.so.1.2", target: "native/lib/libfoo.so.1" },
      ]),
    );

    expect(await hydrateEmbeddedPostgresSymlinks(root)).toBe(2);
    expect(await readlink(join(root, "native", "lib", "libfoo.so"))).toBe("libfoo.so.1.2");
    expect(await readFile(join(root, "native", "lib", "libfoo.so.1"), "utf8")).toBe("real library");
    expect(await hydrateEmbeddedPostgresSymlinks(root)).toBe(0);
  });

  it("finds nothing to do in the installed platform package", async () => {
    // npm ran the postinstall here, or an earlier start hydrated it; either way all links exist.
    expect(await hydrateEmbeddedPostgresSymlinks()).toBe(0);
  });
});
