import { type ChildProcess, spawn } from "node:child_process";
import {
  closeSync,
  type FSWatcher,
  mkdirSync,
  openSync,
  rmSync,
  utimesSync,
  watch,
  writeFileSync,
} from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Clock, systemClock } from "../config/clock.js";
import type { AgentLaunch } from "./adapters/types.js";
import { isSameProcess, livingGroupMembers, readProcStatSync } from "./proc-stat.js";

export interface AgentExit {
  code: number | null;
  signal: string | null;
  endedAt: string;
  /** Set when the agent could not start, or when nobody recorded how it ended. */
  error?: string;
  /** Set when the wrapper killed the agent itself because the runner stopped renewing its lease. */
  reason?: "lease-expired";
}

export const EXIT_FILE = "exit.json";
export const STDOUT_FILE = "stdout.log";
export const STDERR_FILE = "stderr.log";
export const HEARTBEAT_FILE = "heartbeat";
export const EVENTS_FILE = "events.jsonl";
export const LEASE_FILE = "lease";

/** Runner secrets that must never reach an agent, even when a config names them. */
const FORBIDDEN_VARS = new Set([
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "GH_ENTERPRISE_TOKEN",
  "GITHUB_ENTERPRISE_TOKEN",
  "FLEET_GIT_TOKEN",
  "PRIVATE_KEY",
  "PRIVATE_KEY_PATH",
  "WEBHOOK_SECRET",
  "GITHUB_CLIENT_SECRET",
  "DATABASE_URL",
  "FLEET_DASHBOARD_TOKEN",
]);

export interface AgentEnvOptions {
  attemptDir: string;
  workdir: string;
  issueNumber: number;
  /** Values the runner sets on purpose (e.g. an adapter's launch.env). */
  extra?: Record<string, string>;
  /** Names copied from the runner's environment when set there (e.g. ANTHROPIC_API_KEY). */
  passthrough?: readonly string[];
  identity?: { name: string; email: string };
}

/**
 * An allowlist, not a filter: the agent sees only what is named here. HOME and TMPDIR live in
 * the attempt folder so the runner's ~/.gitconfig and credential files are out of reach.
 */
export function buildAgentEnv(opts: AgentEnvOptions): Record<string, string> {
  const requested = [...(opts.passthrough ?? []), ...Object.keys(opts.extra ?? {})];
  const forbidden = requested.filter((name) => FORBIDDEN_VARS.has(name.toUpperCase()));
  if (forbidden.length > 0) {
    throw new Error(`refusing to give the agent runner secrets: ${forbidden.join(", ")}`);
  }
  const home = join(opts.attemptDir, "home");
  const tmp = join(opts.attemptDir, "tmp");
  mkdirSync(home, { recursive: true });
  mkdirSync(tmp, { recursive: true });
  const identity = opts.identity ?? {
    name: "agent-fleet agent",
    email: "agent@agent-fleet.invalid",
  };

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    LANG: process.env.LANG ?? "C.UTF-8",
    TERM: "dumb",
  };
  for (const name of ["LC_ALL", "TZ"]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  for (const name of opts.passthrough ?? []) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return {
    ...env,
    ...opts.extra,
    HOME: home,
    TMPDIR: tmp,
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_NAME: identity.name,
    GIT_AUTHOR_EMAIL: identity.email,
    GIT_COMMITTER_NAME: identity.name,
    GIT_COMMITTER_EMAIL: identity.email,
    FLEET_HEARTBEAT_FILE: join(opts.attemptDir, HEARTBEAT_FILE),
    FLEET_EVENTS_FILE: join(opts.attemptDir, EVENTS_FILE),
    FLEET_ISSUE_NUMBER: String(opts.issueNumber),
    FLEET_WORKDIR: opts.workdir,
  };
}

export const WRAPPER_PATH = fileURLToPath(new URL("./agent-wrapper.mjs", import.meta.url));

/**
 * The wrapper's dead-man's switch: it kills its agent when this file's mtime stops changing for
 * ttlMs, so an orphaned agent cannot overlap with its replacement. Real (already scaled) ms.
 */
export interface AgentLease {
  file: string;
  ttlMs: number;
  /** TERM-to-KILL grace the wrapper gives the agent; default min(ttlMs, 10 s). */
  killGraceMs?: number;
}

/** Renews a lease (creating the file when missing). The runner calls it every ttl/3. */
export function touchLease(file: string): void {
  const now = new Date();
  try {
    utimesSync(file, now, now);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    writeFileSync(file, "");
  }
}

export interface SpawnedAgent {
  /** The wrapper's pid, which is also the process group id. */
  pid: number;
  startTime: bigint;
  exit: Promise<AgentExit>;
}

/**
 * Starts the agent detached, in its own process group, with output in files: the runner holds
 * no pipe to it, so the agent outlives a runner restart and can be adopted by pid + start time.
 */
export async function spawnAgent(opts: {
  launch: AgentLaunch;
  cwd: string;
  env: Record<string, string>;
  attemptDir: string;
  lease?: AgentLease;
}): Promise<SpawnedAgent> {
  const { launch, cwd, env, attemptDir, lease } = opts;
  if (launch.argv.length === 0) throw new Error("agent launch has an empty argv");
  mkdirSync(attemptDir, { recursive: true });
  rmSync(join(attemptDir, EXIT_FILE), { force: true }); // a stale record would end this run at once
  const leaseArgs: string[] = [];
  if (lease) {
    if (!(lease.ttlMs > 0)) throw new Error(`lease ttl must be positive, got ${lease.ttlMs}`);
    touchLease(lease.file); // the wrapper's first check must find a fresh lease
    const grace = lease.killGraceMs ?? Math.min(lease.ttlMs, 10_000);
    leaseArgs.push(
      "--lease",
      lease.file,
      String(Math.round(lease.ttlMs)),
      String(Math.round(grace)),
    );
  }
  // The wrapper touches the heartbeat file on each chunk of output the agent writes.
  const beatArgs = launch.beatOnOutput
    ? ["--beat-on-output", join(attemptDir, HEARTBEAT_FILE)]
    : [];
  const fds: number[] = [];
  let child: ChildProcess;
  try {
    fds.push(openSync(launch.stdinFile ?? "/dev/null", "r"));
    fds.push(openSync(join(attemptDir, STDOUT_FILE), "a"));
    fds.push(openSync(join(attemptDir, STDERR_FILE), "a"));
    child = spawn(
      process.execPath,
      [WRAPPER_PATH, attemptDir, ...leaseArgs, ...beatArgs, "--", ...launch.argv],
      {
        cwd,
        env: { ...env, ...launch.env },
        detached: true,
        stdio: fds,
      },
    );
  } finally {
    for (const fd of fds) closeSync(fd);
  }
  const pid = child.pid;
  // Read identity now: the child cannot be reaped before we yield to the event loop.
  const stat = pid === undefined ? null : readProcStatSync(pid);
  if (pid === undefined || stat === null) {
    const error = await new Promise<Error>((resolve) => {
      child.once("error", resolve);
      child.once("exit", () => resolve(new Error("the agent wrapper vanished at start")));
    });
    throw new Error(`cannot start the agent wrapper: ${error.message}`);
  }
  const exit = new Promise<AgentExit>((resolve) => {
    child.once("exit", (code, signal) => {
      void readExitFile(attemptDir).then((recorded) =>
        resolve(
          recorded ?? unrecordedExit(`the wrapper ended (code ${code}, signal ${signal})`, signal),
        ),
      );
    });
  });
  child.unref();
  return { pid, startTime: stat.startTime, exit };
}

export async function readExitFile(attemptDir: string): Promise<AgentExit | null> {
  try {
    const parsed = JSON.parse(await readFile(join(attemptDir, EXIT_FILE), "utf8")) as AgentExit;
    return typeof parsed.endedAt === "string" ? parsed : null;
  } catch {
    return null;
  }
}

function unrecordedExit(why: string, signal: string | null): AgentExit {
  return {
    code: null,
    signal: signal ?? "SIGKILL",
    endedAt: new Date().toISOString(),
    error: `${why} without recording the agent's exit`,
  };
}

/**
 * For a runner that is not the agent's parent (it restarted and adopted the agent): resolves
 * once exit.json exists and the wrapper is gone. With pid + startTime it also notices a wrapper
 * that died without writing the file. fs.watch wakes it; the re-check covers missed events.
 */
export function waitForExitFile(
  attemptDir: string,
  opts: { signal?: AbortSignal; pid?: number; startTime?: bigint; recheckMs?: number } = {},
): Promise<AgentExit> {
  const { signal, pid, startTime, recheckMs = 1000 } = opts;
  return new Promise((resolve, reject) => {
    let watcher: FSWatcher | undefined;
    let timer: NodeJS.Timeout | undefined;
    let checking = false;
    let again = false;
    let settled = false;

    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      watcher?.close();
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      fn();
    };
    const onAbort = () => settle(() => reject(signal?.reason ?? new Error("aborted")));

    const check = async () => {
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      clearTimeout(timer);
      try {
        const alive =
          pid !== undefined && startTime !== undefined && (await isSameProcess(pid, startTime));
        const recorded = await readExitFile(attemptDir);
        if (recorded && !alive) return settle(() => resolve(recorded));
        if (!recorded && pid !== undefined && startTime !== undefined && !alive) {
          // the file is written before the wrapper exits, so one more read settles the race
          const late = await readExitFile(attemptDir);
          return settle(() => resolve(late ?? unrecordedExit("the wrapper died", null)));
        }
      } catch (err) {
        return settle(() => reject(err));
      } finally {
        checking = false;
      }
      if (again) {
        again = false;
        void check();
      } else if (!settled) {
        timer = setTimeout(() => void check(), recheckMs);
      }
    };

    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      // only the exit record matters here; stdout and heartbeat writes would wake us for nothing
      watcher = watch(attemptDir, (_event, name) => {
        if (name === null || name === EXIT_FILE) void check();
      });
      watcher.on("error", () => {}); // the timed re-check still runs
    } catch {
      // no watcher (e.g. the folder is gone): the timed re-check still runs
    }
    void check();
  });
}

export type KillOutcome = "exited" | "term" | "kill";

/**
 * TERM the whole group (agent, its children and the wrapper), wait for the grace period, then
 * KILL whatever is left. Callers confirm identity (isSameProcess) before calling.
 */
export async function killProcessGroup(
  pgid: number,
  opts: { graceMs: number; clock?: Clock; pollMs?: number },
): Promise<KillOutcome> {
  const clock = opts.clock ?? systemClock;
  const pollMs = opts.pollMs ?? 20;
  if (!(await groupAlive(pgid))) return "exited";
  if (!signalGroup(pgid, "SIGTERM")) return "exited";
  if (await waitGroupGone(pgid, clock.scale(opts.graceMs), pollMs)) return "term";
  if (!signalGroup(pgid, "SIGKILL")) return "term";
  if (!(await waitGroupGone(pgid, 10_000, pollMs))) {
    throw new Error(`process group ${pgid} survived SIGKILL`);
  }
  return "kill";
}

/** False when the group no longer exists (ESRCH). */
function signalGroup(pgid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw err;
  }
}

export async function groupAlive(pgid: number): Promise<boolean> {
  if (!signalGroup(pgid, 0)) return false;
  return (await livingGroupMembers(pgid)).length > 0;
}

/** Polls quickly at first (most agents die at once), then backs off to 10x pollMs. */
async function waitGroupGone(pgid: number, timeoutMs: number, pollMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = pollMs; ; wait = Math.min(wait * 2, pollMs * 10)) {
    if (!(await groupAlive(pgid))) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, Math.min(wait, Math.max(1, deadline - Date.now()))));
  }
}
