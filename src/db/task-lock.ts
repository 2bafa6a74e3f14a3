import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import type { Db, Schema } from "./client.js";
import * as schema from "./schema.js";

/** First key of the two-int advisory lock space used for per-task policy locks ("fp"). */
export const TASK_LOCK_SPACE = 0x6670;

/** A database bound to the one connection that holds the task's lock. */
export type LockedDb = NodePgDatabase<Schema>;

/**
 * Runs `work` while holding a session advisory lock on the task, so webhook handlers on any
 * number of servers and a runner's callback never judge or merge the same task at once.
 *
 * The lock lives on one reserved pool connection, and `work` gets a database bound to that same
 * connection: if it took further connections from the pool, enough concurrent holders could
 * exhaust the pool and wait on each other forever.
 */
export async function withTaskLock<T>(
  db: Db,
  taskId: number,
  work: (locked: LockedDb) => Promise<T>,
): Promise<T> {
  const client = await db.$client.connect();
  // Ids beyond 2^31 wrap: two tasks sharing a key only serialise, which is still correct.
  const key = Number(BigInt(taskId) % 2_147_483_647n);
  let broken: Error | undefined;
  try {
    try {
      await client.query("select pg_advisory_lock($1, $2)", [TASK_LOCK_SPACE, key]);
    } catch (error) {
      broken = error as Error;
      throw error;
    }
    try {
      return await work(drizzle(client, { schema }));
    } finally {
      try {
        await client.query("select pg_advisory_unlock($1, $2)", [TASK_LOCK_SPACE, key]);
      } catch (error) {
        // Destroying the connection below ends its session, which frees the lock.
        broken = error as Error;
      }
    }
  } finally {
    client.release(broken);
  }
}
