import type { Logger } from "pino";
import type { Clock } from "../config/clock.js";
import type { Db } from "../db/client.js";
import { probotRedeliveryGitHub } from "../github/redelivery-github.js";
import { type RunningServer, startWebhookServer } from "../server.js";
import {
  DEFAULT_REDELIVERY_INTERVAL_MS,
  RedeliverySweeper,
} from "../webhooks/redelivery-sweeper.js";
import type { Emulator } from "./emulator/index.js";

export interface AppServer {
  /** Stops the webhook server and starts a fresh one, as a deploy would. */
  restart(): Promise<void>;
  /** Stops it without a word: a SIGKILL when it is its own process (chaos). */
  kill(): Promise<void>;
  /** Starts it again after a kill, at the same webhook URL. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** The app's webhook server, in this process, wired to the emulator; restartable on demand. */
export async function startAppServer(input: {
  db: Db;
  log: Logger;
  clock: Clock;
  appId: number;
  privateKey: string;
  webhookSecret: string;
  emulator: Emulator;
  /** Real ms a GitHub request may wait for an answer. */
  githubTimeoutMs?: number;
  /** Configured ms between missed-delivery sweeps (default 15m, scaled by the clock). */
  redeliveryIntervalMs?: number;
}): Promise<AppServer> {
  const start = async () => {
    const server = await startWebhookServer({
      db: input.db,
      log: input.log,
      clock: input.clock,
      appId: input.appId,
      privateKey: input.privateKey,
      webhookSecret: input.webhookSecret,
      webhookPath: "/api/github/webhooks",
      githubApiUrl: input.emulator.url,
      githubThrottle: false,
      githubTimeoutMs: input.githubTimeoutMs,
      port: 0,
      host: "127.0.0.1",
    });
    input.emulator.setWebhookUrl(server.webhookUrl);
    // The sweep lives and dies with the server process, as in `fleet server`.
    const sweeper = new RedeliverySweeper({
      db: input.db,
      clock: input.clock,
      log: input.log.child({ name: "redelivery" }),
      github: probotRedeliveryGitHub(server.probot),
      intervalMs: input.redeliveryIntervalMs ?? DEFAULT_REDELIVERY_INTERVAL_MS,
    });
    sweeper.start();
    return {
      ...server,
      close: async () => {
        await sweeper.stop();
        await server.close();
      },
    };
  };
  let server: RunningServer | null = await start();
  return {
    async restart() {
      await server?.close();
      server = null;
      server = await start();
    },
    // In this process a kill can only close the server; a child-process server gets a real one.
    async kill() {
      await server?.close();
      server = null;
    },
    async start() {
      if (server) throw new Error("the webhook server is already running");
      server = await start();
    },
    async close() {
      await server?.close();
      server = null;
    },
  };
}
