import type { Logger } from "pino";
import { startEmbeddedPostgres } from "../../db/embedded.js";

/** The simulator's own embedded PostgreSQL, which a chaos event may stop and start again. */
export interface RestartablePostgres {
  readonly url: string;
  /** A fast shutdown: every connection is cut, as in a crash or a failover. */
  stop(): Promise<void>;
  /** Starts it again on the same data dir and port, so every URL stays valid. */
  start(): Promise<void>;
  /** Stops it for good, whatever state it is in. */
  close(): Promise<void>;
}

export async function startRestartablePostgres(options: {
  dataDir: string;
  log: Logger;
}): Promise<RestartablePostgres> {
  const first = await startEmbeddedPostgres({ dataDir: options.dataDir, log: options.log });
  const { port, url } = first;
  let running: { stop(): Promise<void> } | null = first;
  return {
    url,
    async stop() {
      if (!running) throw new Error("postgres is already stopped");
      const stopping = running;
      running = null;
      await stopping.stop();
      options.log.info({ port }, "chaos: postgres stopped");
    },
    async start() {
      if (running) throw new Error("postgres is already running");
      running = await startEmbeddedPostgres({ dataDir: options.dataDir, port, log: options.log });
      options.log.info({ port }, "chaos: postgres started again");
    },
    async close() {
      const stopping = running;
      running = null;
      await stopping?.stop();
    },
  };
}
