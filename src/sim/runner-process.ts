import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import type { Db } from "../db/client.js";
import type { RunnerOutage } from "./agent-lives.js";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const FLEET_BIN = join(REPO_ROOT, "bin", "fleet.js");
/** Settings a runner reads; the simulator sets them all, so none leaks in from the caller. */
const OWN_SETTINGS =
  /^(FLEET_|DATABASE_URL$|APP_ID$|PRIVATE_KEY|WEBHOOK_|GITHUB_API_URL$|LOG_LEVEL$)/;

/**
 * Starts `fleet <args>` as a child process with the simulator's settings (none leaks in from the
 * caller's environment), its output appended to `logFile`.
 */
export function spawnFleet(
  args: readonly string[],
  settings: Record<string, string>,
  logFile: string,
): { process: ChildProcess; exited: Promise<{ code: number | null; signal: string | null }> } {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !OWN_SETTINGS.test(name)) env[name] = value;
  }
  Object.assign(env, settings);
  const out = openSync(logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [FLEET_BIN, ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: ["ignore", out, out],
    });
  } finally {
    closeSync(out);
  }
  return {
    process: child,
    exited: new Promise((resolve) => {
      child.once("exit", (code, signal) => resolve({ code, signal }));
      child.once("error", () => resolve({ code: null, signal: null }));
    }),
  };
}

interface Child {
  process: ChildProcess;
  exited: Promise<{ code: number | null; signal: string | null }>;
  expectExit: boolean;
}

/**
 * The simulator's runners, each a real `fleet runner` process, so a kill is a real SIGKILL that
 * the agents (detached, in their own process groups) survive.
 */
export class RunnerProcesses {
  /** Every kill, and when the same runner was up again. */
  readonly outages: RunnerOutage[] = [];
  /** Every runner process ever started, for the check that none outlives the simulation. */
  readonly pids: number[] = [];
  /** Runner processes that exited without being told to. */
  readonly crashes: string[] = [];
  private readonly children = new Map<string, Child>();

  constructor(
    private readonly options: {
      db: Db;
      root: string;
      /** DATABASE_URL, app credentials, agent command, clock speed, lease TTL... */
      env: Record<string, string>;
      log: Logger;
      startTimeoutMs?: number;
    },
  ) {}

  dataDir(id: string): string {
    return join(this.options.root, `runner-${id}`);
  }

  logFile(id: string): string {
    return join(this.options.root, `runner-${id}.log`);
  }

  /**
   * Data dirs of the runners up now, whose worktrees they must clean up themselves. A runner
   * killed for good stands for a host that died, and its disk with it.
   */
  get liveDataDirs(): string[] {
    return this.liveIds.map((id) => this.dataDir(id));
  }

  get liveIds(): string[] {
    return [...this.children.keys()];
  }

  /** Starts runner `id` and resolves once it registered itself in the `runners` table. */
  async start(id: string): Promise<void> {
    if (this.children.has(id)) throw new Error(`runner ${id} is already running`);
    const spawned = spawnFleet(
      ["runner"],
      {
        ...this.options.env,
        FLEET_RUNNER_ID: id,
        FLEET_DATA_DIR: this.dataDir(id),
        // Each runner's ops endpoint (/healthz, /metrics) on a port of its own.
        PORT: "0",
      },
      this.logFile(id),
    );
    const child = spawned.process;
    if (child.pid !== undefined) this.pids.push(child.pid);
    const entry: Child = { ...spawned, expectExit: false };
    this.children.set(id, entry);
    void entry.exited.then(async (exit) => {
      if (this.children.get(id) === entry) this.children.delete(id);
      if (!entry.expectExit) {
        this.crashes.push(
          `runner ${id} exited by itself (code ${exit.code}, signal ${exit.signal})`,
        );
        this.options.log.error(
          { runner: id, ...exit, log: await this.logTail(id) },
          "a runner process exited by itself",
        );
      }
    });
    await this.waitUp(id, entry);
    const outage = this.outages.find((o) => o.runner === id && o.backAt === null);
    if (outage) outage.backAt = Date.now();
  }

  private async waitUp(id: string, entry: Child): Promise<void> {
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 120_000);
    let gone = false;
    void entry.exited.then(() => {
      gone = true;
    });
    for (;;) {
      const found = await this.options.db.execute<{ pid: number; state: string }>(
        sql`select pid, state from runners where id = ${id}`,
      );
      const row = found.rows[0];
      if (row && row.pid === entry.process.pid && row.state === "active") return;
      if (gone || Date.now() > deadline) {
        throw new Error(
          `runner ${id} did not come up (${gone ? "it exited" : "timed out"}):\n${await this.logTail(id)}`,
        );
      }
      await delay(25);
    }
  }

  /** SIGKILL: the runner gets no chance to clean up, as when its host dies. */
  async kill(id: string): Promise<void> {
    const entry = this.children.get(id);
    if (!entry) throw new Error(`runner ${id} is not running`);
    entry.expectExit = true;
    this.outages.push({ runner: id, killedAt: Date.now(), backAt: null });
    entry.process.kill("SIGKILL");
    await entry.exited;
  }

  /** SIGTERM every runner (a clean shutdown), then SIGKILL whatever outlives the grace. */
  async stopAll(graceMs = 30_000): Promise<void> {
    await Promise.all(
      [...this.children.entries()].map(async ([id, entry]) => {
        entry.expectExit = true;
        entry.process.kill("SIGTERM");
        const stopped = await Promise.race([
          entry.exited.then(() => true),
          delay(graceMs, undefined, { ref: false }).then(() => false),
        ]);
        if (!stopped) {
          this.options.log.warn({ runner: id }, "runner ignored SIGTERM; killing it");
          entry.process.kill("SIGKILL");
          await entry.exited;
        }
      }),
    );
  }

  /** Last resort, for an exit handler: SIGKILL every runner still running, synchronously. */
  killAllNow(): void {
    for (const entry of this.children.values()) {
      entry.expectExit = true;
      entry.process.kill("SIGKILL");
    }
  }

  async logTail(id: string, lines = 40): Promise<string> {
    const text = await readFile(this.logFile(id), "utf8").catch(() => "");
    return text.split("\n").slice(-lines).join("\n");
  }
}
