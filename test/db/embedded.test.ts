import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readlink, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pathToFileURL } from "node:url";
import pg from "pg";
import pino, { type Logger } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { runningEmbeddedUrl, startEmbeddedPostgres } from "../../src/db/embedded.js";
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
    await first.stop(); // idempotent
    expect(existsSync(join(dataDir, "PG_VERSION"))).toBe(true);
    expect(existsSync(join(dataDir, "postmaster.pid"))).toBe(false);

    // As if the machine crashed: a pid file naming a process that no longer exists.
    await writeFile(join(dataDir, "postmaster.pid"), `${await deadPid()}\n${dataDir}\n`);
    const second = await startEmbeddedPostgres({ dataDir });
    try {
      const rows = await query<{ note: string }>(second.url, "select note from survivor");
      expect(rows).toEqual([{ note: "still here" }]);
      expect(postmasterPid(dataDir)).toBeGreaterThan(0);
    } finally {
      await Promise.all([second.stop(), second.stop()]);
    }
    expect(existsSync(join(dataDir, "postmaster.pid"))).toBe(false);
  });

  it("lets an operator command share a running server instead of restarting it", async () => {
    const dataDir = join(await tempDir("fleet-embedded-share-"), "pg");
    expect(await runningEmbeddedUrl(dataDir)).toBeUndefined();
    const running = await startEmbeddedPostgres({ dataDir });
    try {
      const pidBefore = postmasterPid(dataDir);
      const shared = await runningEmbeddedUrl(dataDir);
      expect(shared).toBe(running.url);
      expect(await query<{ one: number }>(shared ?? "", "select 1 as one")).toEqual([{ one: 1 }]);
      expect(postmasterPid(dataDir)).toBe(pidBefore);
    } finally {
      await running.stop();
    }
    expect(await runningEmbeddedUrl(dataDir)).toBeUndefined();
  });

  it("runs the postmaster in its own session, out of reach of terminal signals", async () => {
    const dataDir = join(await tempDir("fleet-embedded-"), "pg");
    const server = await startEmbeddedPostgres({ dataDir });
    try {
      const pid = postmasterPid(dataDir);
      const postmaster = await sessionOf(pid);
      const us = await sessionOf(process.pid);
      expect(postmaster.pgrp).not.toBe(us.pgrp);
      expect(postmaster.session).not.toBe(us.session);
      expect(postmaster.session).toBe(pid);
    } finally {
      await server.stop();
    }
  });

  it("stops a live postmaster left on the data dir and starts afresh", async () => {
    const dataDir = join(await tempDir("fleet-embedded-"), "pg");
    const first = await startEmbeddedPostgres({ dataDir });
    const firstPid = postmasterPid(dataDir);
    await query(first.url, "create table survivor (note text)");
    await query(first.url, "insert into survivor values ('still here')");

    // `first` is "forgotten" without stop(), as when a process is SIGKILLed.
    const warnings: string[] = [];
    const second = await startEmbeddedPostgres({ dataDir, log: capture(warnings) });
    try {
      const secondPid = postmasterPid(dataDir);
      expect(secondPid).not.toBe(firstPid);
      expect(isAlive(firstPid)).toBe(false);
      expect(warnings).toContain("stopping a postmaster left running by an earlier run");
      const rows = await query<{ note: string }>(second.url, "select note from survivor");
      expect(rows).toEqual([{ note: "still here" }]);

      // The forgotten handle must not stop its replacement.
      await first.stop();
      expect(postmasterPid(dataDir)).toBe(secondPid);
      expect(await query(second.url, "select 1 as one")).toEqual([{ one: 1 }]);
    } finally {
      await second.stop();
    }
  });

  it("survives its process being SIGKILLed, and stops postgres when it exits without stop()", async () => {
    const dataDir = join(await tempDir("fleet-embedded-"), "pg");

    // SIGKILL: no exit hook runs, so the daemon lives on until the next start replaces it.
    const killed = await startInChild(dataDir, "hang");
    killed.child.kill("SIGKILL");
    await once(killed.child, "exit");
    const leftover = postmasterPid(dataDir);
    expect(isAlive(leftover)).toBe(true);

    // process.exit() without stop(): the exit hook asks the postmaster to shut down.
    const exited = await startInChild(dataDir, "exit");
    await once(exited.child, "exit");
    expect(isAlive(leftover)).toBe(false);
    const pid = exited.pid;
    await waitFor(() => !isAlive(pid));
    expect(existsSync(join(dataDir, "postmaster.pid"))).toBe(false);
  });
});

function postmasterPid(dataDir: string): number {
  return Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
}

/** Exists and is not a zombie (init may be slow to reap the daemon). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition(); ) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Process group and session ids: fields 5 and 6 of /proc/<pid>/stat. */
async function sessionOf(pid: number): Promise<{ pgrp: number; session: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Field 2 is the command in parentheses and may contain spaces; count from its end.
  const [, , pgrp, session] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { pgrp: Number(pgrp), session: Number(session) };
}

/** A logger that records warning messages. */
function capture(warnings: string[]): Logger {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      const entry = JSON.parse(String(chunk)) as { level: number; msg: string };
      if (entry.level === 40) warnings.push(entry.msg);
      done();
    },
  });
  return pino({ level: "debug" }, stream);
}

/** Starts postgres in a separate node process, which then hangs or exits without stop(). */
async function startInChild(
  dataDir: string,
  then: "hang" | "exit",
): Promise<{ child: ChildProcess; pid: number }> {
  const script = join(await tempDir("fleet-embedded-child-"), "child.mts");
  const module = pathToFileURL(join(import.meta.dirname, "../../src/db/embedded.ts")).href;
  await writeFile(
    script,
    `import { startEmbeddedPostgres } from ${JSON.stringify(module)};
await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)} });
console.log("ready");
${then === "exit" ? "process.exit(0);" : "setInterval(() => {}, 1000);"}
`,
  );
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: join(import.meta.dirname, "../.."),
    stdio: ["ignore", "pipe", "inherit"],
  });
  const ready = await Promise.race([
    once(child.stdout, "data").then(([line]) => String(line).trim()),
    once(child, "exit").then(([code]) => `exited with ${code} before starting postgres`),
  ]);
  expect(ready).toBe("ready");
  return { child, pid: postmasterPid(dataDir) };
}

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
