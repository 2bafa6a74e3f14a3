import { sql } from "drizzle-orm";
import type pg from "pg";
import { afterAll, beforeAll, beforeEach, inject } from "vitest";
import { createDb, type Db } from "../../src/db/client.js";
import { migrate } from "../../src/db/migrate.js";
import { createScratchDatabase } from "../../src/db/scratch-database.js";

export interface TestDatabase {
  url: string;
  db: Db;
  pool: pg.Pool;
  close(): Promise<void>;
}

/** A fresh, migrated database for one test file; close() drops it. Call from beforeAll. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const scratch = await createScratchDatabase(inject("adminDatabaseUrl"), "fleet_t");
  const { db, pool, close } = createDb(scratch.url);
  await migrate(db);
  return {
    url: scratch.url,
    db,
    pool,
    close: async () => {
      await close();
      await scratch.drop();
    },
  };
}

export interface TestDatabaseOptions {
  /** Tables emptied before each test (`truncate ... cascade`). */
  truncate?: readonly string[];
  /** Also reset the tables' id sequences; only for files whose tests expect ids from 1. */
  restartIdentity?: boolean;
}

/** The per-file database of `useTestDatabase`; each getter is valid inside tests and hooks. */
export interface TestDatabaseHandle {
  readonly url: string;
  readonly db: Db;
  readonly pool: pg.Pool;
}

/**
 * Registers the hooks that give a test file its own database: created in beforeAll, dropped in
 * afterAll, and, with `truncate`, emptied before each test. Call it before the file's own hooks
 * that need the database: vitest runs beforeAll hooks in the order they were registered.
 */
export function useTestDatabase(options: TestDatabaseOptions = {}): TestDatabaseHandle {
  let database: TestDatabase | undefined;
  const current = (): TestDatabase => {
    if (!database) throw new Error("the test database is only reachable inside tests and hooks");
    return database;
  };
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });
  const tables = options.truncate ?? [];
  if (tables.length > 0) {
    const statement = truncateStatement(tables, options.restartIdentity ?? false);
    beforeEach(async () => {
      await current().db.execute(sql.raw(statement));
    });
  }
  return {
    get url() {
      return current().url;
    },
    get db() {
      return current().db;
    },
    get pool() {
      return current().pool;
    },
  };
}

function truncateStatement(tables: readonly string[], restartIdentity: boolean): string {
  for (const table of tables) {
    if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`not a table name: ${table}`);
  }
  return `truncate ${tables.join(", ")}${restartIdentity ? " restart identity" : ""} cascade`;
}
