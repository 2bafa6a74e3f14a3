import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client.js";
import { MIGRATIONS_FOLDER, migrate } from "../../src/db/migrate.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { countRows } from "./fixtures.js";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

async function journalSize(): Promise<number> {
  const journal = JSON.parse(
    await readFile(join(MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8"),
  );
  return (journal.entries as unknown[]).length;
}

describe("migrate", () => {
  it("applied every migration once and creates the seven tables", async () => {
    const { db } = database;
    expect(await countRows(db, sql`select 1 from drizzle.__drizzle_migrations`)).toBe(
      await journalSize(),
    );
    const { rows } = await db.execute<{ table_name: string }>(sql`
      select table_name from information_schema.tables
      where table_schema = 'public' order by table_name`);
    expect(rows.map((r) => r.table_name)).toEqual([
      "attempts",
      "events",
      "failure_causes",
      "repo_states",
      "runners",
      "tasks",
      "webhook_deliveries",
    ]);
  });

  it("is a no-op when run again, even by several processes at once", async () => {
    const pools = Array.from({ length: 4 }, () => createDb(database.url, { max: 2 }));
    try {
      await Promise.all(pools.map(({ db }) => migrate(db)));
      await migrate(database.db);
    } finally {
      await Promise.all(pools.map((p) => p.close()));
    }
    expect(await countRows(database.db, sql`select 1 from drizzle.__drizzle_migrations`)).toBe(
      await journalSize(),
    );
  });

  it("lets concurrent first-time migrations of an empty database all succeed", async () => {
    const { db } = database;
    await db.execute(sql`create database ${sql.identifier(`${currentDb()}_fresh`)}`);
    const url = new URL(database.url);
    url.pathname = `/${currentDb()}_fresh`;
    const pools = Array.from({ length: 4 }, () => createDb(url.toString(), { max: 2 }));
    try {
      await Promise.all(pools.map((p) => migrate(p.db)));
      const [first] = pools;
      if (!first) throw new Error("no pool");
      expect(await countRows(first.db, sql`select 1 from drizzle.__drizzle_migrations`)).toBe(
        await journalSize(),
      );
    } finally {
      await Promise.all(pools.map((p) => p.close()));
      await db.execute(sql`drop database ${sql.identifier(`${currentDb()}_fresh`)} with (force)`);
    }
  });
});

function currentDb(): string {
  return new URL(database.url).pathname.slice(1);
}
