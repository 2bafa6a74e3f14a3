import type { ExtractTablesWithRelations } from "drizzle-orm";
import { drizzle, type NodePgDatabase, type NodePgQueryResultHKT } from "drizzle-orm/node-postgres";
import type { PgTransaction } from "drizzle-orm/pg-core";
import pg from "pg";
import type { Logger } from "pino";
import { makePoolPatient } from "./patient-pool.js";
import * as schema from "./schema.js";

export type Schema = typeof schema;
/** A drizzle database over a pg Pool (what createDb returns). */
export type Db = NodePgDatabase<Schema> & { $client: pg.Pool };
export type Tx = PgTransaction<NodePgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Anything a named query can run on: the pool-backed database or an open transaction. */
export type DbOrTx = NodePgDatabase<Schema> | Tx;

export function createDb(
  url: string,
  options: { log?: Logger; max?: number } = {},
): { db: Db; pool: pg.Pool; close(): Promise<void> } {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10 });
  // A restart or failover of a few seconds is waited out rather than failing every query in it.
  makePoolPatient(pool, { log: options.log });
  // An idle client losing its connection (server restart, network) must not crash the process.
  pool.on("error", (err) => {
    options.log?.warn({ err: err.message }, "postgres pool client error");
  });
  // Nor may a checked-out one (pool.connect(): a lock held across GitHub calls), which the pool
  // stops listening to: the error reaches its next query instead, and release(err) drops it.
  pool.on("connect", (client) => {
    client.on("error", (err) => {
      options.log?.debug({ err: err.message }, "postgres connection lost");
    });
  });
  const db = drizzle(pool, { schema });
  let closed: Promise<void> | undefined;
  return {
    db,
    pool,
    close: () => {
      closed ??= pool.end();
      return closed;
    },
  };
}
