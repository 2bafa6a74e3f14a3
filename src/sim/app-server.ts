import type { Logger } from "pino";
import type { Clock } from "../config/clock.js";
import type { Db } from "../db/client.js";
import { type RunningServer, startWebhookServer } from "../server.js";
import type { Emulator } from "./emulator/index.js";

export interface AppServer {
  /** Stops the webhook server and starts a fresh one, as a deploy would. */
  restart(): Promise<void>;
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
      port: 0,
      host: "127.0.0.1",
    });
    input.emulator.setWebhookUrl(server.webhookUrl);
    return server;
  };
  let server: RunningServer | null = await start();
  return {
    async restart() {
      await server?.close();
      server = null;
      server = await start();
    },
    async close() {
      await server?.close();
      server = null;
    },
  };
}
