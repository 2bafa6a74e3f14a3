import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate as drizzleMigrate } from "drizzle-orm/node-postgres/migrator";
import type { Db } from "./client.js";
import * as schema from "./schema.js";

/** src/db and dist/db sit at the same depth, so this resolves from tsx and from the build. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../migrations", import.meta.url));

const LOCK_KEY = "hashtextextended('agent-fleet.migrate', 0)";

/**
 * Applies pending migrations. Servers and runners may start together, so the whole run holds a
 * session advisory lock on one dedicated connection: the others wait, then find nothing to do.
 */
export async function migrate(db: Db, migrationsFolder = MIGRATIONS_FOLDER): Promise<void> {
  const client = await db.$client.connect();
  let broken: Error | undefined;
  try {
    await client.query(`select pg_advisory_lock(${LOCK_KEY})`);
    try {
      await drizzleMigrate(drizzle(client, { schema }), { migrationsFolder });
    } finally {
      await client.query(`select pg_advisory_unlock(${LOCK_KEY})`);
    }
  } catch (err) {
    broken = err as Error;
    throw err;
  } finally {
    // A connection that failed mid-way may still hold the lock: destroy it rather than reuse it.
    client.release(broken);
  }
}
