import type { ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { Logger } from "pino";
import type { AppServer } from "../app-server.js";
import type { Emulator } from "../emulator/index.js";
import { spawnFleet } from "../runner-process.js";

const WEBHOOK_PATH = "/api/github/webhooks";

export interface AppServerProcess extends AppServer {
  /** Every server process started, for the check that none outlives the simulation. */
  readonly pids: readonly number[];
  /** Server processes that exited without being told to. */
  readonly crashes: readonly string[];
}

interface Running {
  process: ChildProcess;
  exited: Promise<unknown>;
  expectExit: boolean;
}

/**
 * The webhook server as a real `fleet server` process, so a chaos kill is a real SIGKILL. It
 * keeps one port across restarts: the emulator's webhook URL, like a load balancer's address,
 * never changes, and deliveries sent while it is down fail as they would on GitHub.
 */
export async function startAppServerProcess(input: {
  root: string;
  /** DATABASE_URL, app credentials, GITHUB_API_URL, clock speed, log level... */
  env: Record<string, string>;
  emulator: Emulator;
  log: Logger;
  startTimeoutMs?: number;
}): Promise<AppServerProcess> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const logFile = join(input.root, "server.log");
  const pids: number[] = [];
  const crashes: string[] = [];
  let running: Running | null = null;
  // Should this process end without closing the server, the server must not outlive it.
  const lastResort = () => running?.process.kill("SIGKILL");
  process.once("exit", lastResort);

  const logTail = async () =>
    (await readFile(logFile, "utf8").catch(() => "")).split("\n").slice(-40).join("\n");

  const start = async () => {
    if (running) throw new Error("the webhook server is already running");
    const spawned = spawnFleet(
      ["server"],
      {
        ...input.env,
        PORT: String(port),
        HOST: "127.0.0.1",
        WEBHOOK_PATH,
        FLEET_DATA_DIR: join(input.root, "server"),
      },
      logFile,
    );
    if (spawned.process.pid !== undefined) pids.push(spawned.process.pid);
    const entry: Running = { ...spawned, expectExit: false };
    running = entry;
    let gone = false;
    void spawned.exited.then(async (exit) => {
      gone = true;
      if (running === entry) running = null;
      if (!entry.expectExit) {
        crashes.push(
          `the webhook server exited by itself (code ${exit.code}, signal ${exit.signal})`,
        );
        input.log.error({ ...exit, log: await logTail() }, "the webhook server exited by itself");
      }
    });
    const deadline = Date.now() + (input.startTimeoutMs ?? 120_000);
    while (!(await answers(`${base}/healthz`))) {
      if (gone || Date.now() > deadline) {
        throw new Error(
          `the webhook server did not come up (${gone ? "it exited" : "timed out"}):\n${await logTail()}`,
        );
      }
      await delay(50);
    }
  };

  const stop = async (signal: "SIGTERM" | "SIGKILL", graceMs = 30_000) => {
    const entry = running;
    if (!entry) return;
    entry.expectExit = true;
    entry.process.kill(signal);
    const stopped = await Promise.race([
      entry.exited.then(() => true),
      delay(graceMs, undefined, { ref: false }).then(() => false),
    ]);
    if (!stopped) {
      input.log.warn("the webhook server ignored SIGTERM; killing it");
      entry.process.kill("SIGKILL");
      await entry.exited;
    }
    if (running === entry) running = null;
  };

  await start();
  input.emulator.setWebhookUrl(`${base}${WEBHOOK_PATH}`);
  return {
    pids,
    crashes,
    start,
    kill: () => stop("SIGKILL"),
    async restart() {
      await stop("SIGTERM");
      await start();
    },
    async close() {
      await stop("SIGTERM");
      process.off("exit", lastResort);
    },
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
