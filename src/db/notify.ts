import { sql } from "drizzle-orm";
import pg from "pg";
import type { Logger } from "pino";
import type { DbOrTx } from "./client.js";
import { DEFAULT_DB_PATIENCE_MS, isConnectionLost, isUnreachable } from "./patient-pool.js";

export const TASK_QUEUED = "fleet_task_queued";
export const TASK_CANCELLED = "fleet_task_cancelled";
/** JSON `{ id, taskId, repo, kind, to }` for every events row; sent by a trigger (migration 0005). */
export const TASK_EVENT = "fleet_task_event";

/** Postgres delivers a NOTIFY only when the surrounding transaction commits: call it inside one. */
export async function notifyInTx(tx: DbOrTx, channel: string, payload: string): Promise<void> {
  await tx.execute(sql`select pg_notify(${channel}, ${payload})`);
}

export interface ListenOptions {
  /** Called after a dropped connection is back: notifications sent meanwhile are lost, so sweep. */
  onReconnect?: () => void;
  log?: Logger;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long the first connection is retried while the server is unreachable. */
  patienceMs?: number;
}

export interface Listener {
  close(): Promise<void>;
}

/**
 * LISTENs on a dedicated connection (a pooled one would be handed to other queries) and keeps
 * listening across dropped connections, reconnecting with exponential backoff.
 */
export async function listen(
  source: string | pg.Pool,
  channels: readonly string[],
  onMessage: (channel: string, payload: string) => void,
  options: ListenOptions = {},
): Promise<Listener> {
  const config: pg.ClientConfig =
    typeof source === "string" ? { connectionString: source } : source.options;
  const { log, onReconnect } = options;
  const minBackoff = options.minBackoffMs ?? 100;
  const maxBackoff = options.maxBackoffMs ?? 5_000;
  let backoff = minBackoff;
  let current: pg.Client | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const connect = async (): Promise<pg.Client> => {
    const client = new pg.Client(config);
    client.on("notification", (msg) => {
      try {
        onMessage(msg.channel, msg.payload ?? "");
      } catch (err) {
        log?.error({ err, channel: msg.channel }, "notification handler failed");
      }
    });
    client.on("error", (err) => {
      log?.warn({ err: err.message }, "listen connection error");
      lost(client);
    });
    client.on("end", () => lost(client));
    try {
      await client.connect();
      for (const channel of channels)
        await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
    } catch (err) {
      client.end().catch(() => {});
      throw err;
    }
    return client;
  };

  const lost = (client: pg.Client) => {
    if (current !== client) return;
    current = undefined;
    client.end().catch(() => {});
    if (!closed) scheduleReconnect();
  };

  const scheduleReconnect = () => {
    timer = setTimeout(async () => {
      try {
        const client = await connect();
        if (closed) {
          await client.end();
          return;
        }
        current = client;
        backoff = minBackoff;
        log?.info({ channels }, "listen connection restored");
        onReconnect?.();
      } catch (err) {
        log?.warn({ err: (err as Error).message, retryInMs: backoff }, "listen reconnect failed");
        backoff = Math.min(backoff * 2, maxBackoff);
        if (!closed) scheduleReconnect();
      }
    }, backoff);
  };

  current = await connectPatiently(connect, options.patienceMs ?? DEFAULT_DB_PATIENCE_MS);
  return {
    close: async () => {
      closed = true;
      clearTimeout(timer);
      const client = current;
      current = undefined;
      await client?.end();
    },
  };
}

/**
 * The first connection, tried again while the server restarts (as later reconnects are): a
 * process starting during a database restart waits for it rather than exiting.
 */
async function connectPatiently(
  connect: () => Promise<pg.Client>,
  patienceMs: number,
): Promise<pg.Client> {
  const deadline = Date.now() + patienceMs;
  for (let wait = 100; ; wait = Math.min(wait * 2, 2_000)) {
    try {
      return await connect();
    } catch (error) {
      const transient = isUnreachable(error) || isConnectionLost(error);
      if (!transient || Date.now() + wait > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
