import { setTimeout as delay } from "node:timers/promises";
import type pg from "pg";
import type { Logger } from "pino";

/** Real ms a pool keeps trying to reach a PostgreSQL that restarts or fails over. */
export const DEFAULT_DB_PATIENCE_MS = 30_000;

const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOENT", "EPIPE", "57P03"]);
/** admin_shutdown, crash_shutdown: the server ended the session (a restart, a failover). */
const LOST_CODES = new Set(["57P01", "57P02", "ECONNRESET", "EPIPE"]);
const LOST_MESSAGE = /Connection terminated|not queryable/i;

/** The server cannot be reached: nothing was sent, so trying again is always safe. */
export function isUnreachable(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return UNREACHABLE_CODES.has(code ?? "") || LOST_MESSAGE.test(message ?? "");
}

/**
 * The session ended under a statement. Outside a transaction (pool.query) the server rolled the
 * statement back unless its commit had already happened, which leaves only a lost answer to a
 * committed statement: the fleet's writes are fenced by lease tokens and states, so a repeat
 * finds nothing left to do.
 */
export function isConnectionLost(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return LOST_CODES.has(code ?? "") || LOST_MESSAGE.test(message ?? "");
}

type ConnectCallback = (
  error: Error | undefined,
  client?: pg.PoolClient,
  done?: (release?: unknown) => void,
) => void;

/**
 * Makes a pool ride out a short database outage: new connections are retried with backoff while
 * the server is unreachable, and a single statement whose session was cut is sent again, both
 * for `patienceMs`. Transactions (a client from connect()) still fail as a whole, for their
 * caller to retry. Without it, every query during a restart fails at once.
 */
export function makePoolPatient(
  pool: pg.Pool,
  options: { patienceMs?: number; log?: Logger | undefined } = {},
): void {
  const patienceMs = options.patienceMs ?? DEFAULT_DB_PATIENCE_MS;
  const rawConnect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
  const rawQuery = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  const retrying = async <T>(work: () => Promise<T>, retryable: (e: unknown) => boolean) => {
    const deadline = Date.now() + patienceMs;
    for (let wait = 100; ; wait = Math.min(wait * 2, 2_000)) {
      try {
        return await work();
      } catch (error) {
        if (!retryable(error) || Date.now() + wait > deadline) throw error;
        options.log?.warn(
          { err: (error as Error).message, retryInMs: wait },
          "database unreachable; retrying",
        );
        await delay(wait);
      }
    }
  };
  const connect = (callback?: ConnectCallback) => {
    const connecting = retrying(rawConnect, isUnreachable);
    if (!callback) return connecting;
    connecting.then(
      (client) => callback(undefined, client, (release) => client.release(release as Error)),
      (error: unknown) => callback(error as Error),
    );
    return undefined;
  };
  const query = (...args: unknown[]) => {
    // Callback and stream forms go through untouched (pool.query's own connect is patient).
    const streams = typeof (args[0] as { submit?: unknown })?.submit === "function";
    if (typeof args.at(-1) === "function" || streams) return rawQuery(...args);
    return retrying(() => rawQuery(...args) as Promise<unknown>, isConnectionLost);
  };
  Object.assign(pool, { connect, query });
}
