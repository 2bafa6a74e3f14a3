import { readFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { MIGRATIONS_FOLDER } from "../../db/migrate.js";
import type { CheckResult } from "./types.js";

interface JournalEntry {
  tag: string;
  when: number;
}

/** Where the URL points, without its credentials. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}`;
  } catch {
    return "(unparsable DATABASE_URL)";
  }
}

/**
 * Connects to DATABASE_URL and compares drizzle's migration journal with what the database
 * recorded, without applying anything. Drizzle applies every journal entry newer than the
 * newest recorded `created_at`, so those are the pending ones.
 */
export async function checkDatabase(
  url: string,
  migrationsFolder = MIGRATIONS_FOLDER,
): Promise<CheckResult[]> {
  const where = describeDatabaseUrl(url);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (error) {
    return [
      {
        name: "database",
        status: "fail",
        detail: `${where} unreachable: ${(error as Error).message}`,
        hint: "check DATABASE_URL and that PostgreSQL accepts connections from this host",
      },
      { name: "migrations", status: "skip", detail: "needs the database" },
    ];
  }
  try {
    const { rows } = await client.query<{ server_version: string }>("show server_version");
    const database: CheckResult = {
      name: "database",
      status: "pass",
      detail: `PostgreSQL ${rows[0]?.server_version ?? "?"} at ${where}`,
    };
    return [database, await checkMigrations(client, migrationsFolder)];
  } finally {
    await client.end().catch(() => {});
  }
}

async function checkMigrations(client: pg.Client, folder: string): Promise<CheckResult> {
  const journal = JSON.parse(await readFile(join(folder, "meta", "_journal.json"), "utf8")) as {
    entries: JournalEntry[];
  };
  const newestApplied = await newestAppliedMigration(client);
  const pending = journal.entries.filter((e) => newestApplied === null || e.when > newestApplied);
  const latest = journal.entries.at(-1);
  if (pending.length > 0) {
    return {
      name: "migrations",
      status: "fail",
      detail: `${pending.length} of ${journal.entries.length} pending: ${pending.map((e) => e.tag).join(", ")}`,
      hint: "run `fleet migrate` (servers and runners also apply them when they start)",
    };
  }
  if (latest && newestApplied !== null && newestApplied > latest.when) {
    return {
      name: "migrations",
      status: "warn",
      detail: "the database has migrations newer than this build",
      hint: "a newer agent-fleet migrated this database; upgrade this host",
    };
  }
  return {
    name: "migrations",
    status: "pass",
    detail: `all ${journal.entries.length} applied (latest ${latest?.tag ?? "none"})`,
  };
}

/** The newest recorded migration's journal timestamp, or null when none was ever applied. */
async function newestAppliedMigration(client: pg.Client): Promise<number | null> {
  try {
    const { rows } = await client.query<{ created_at: string | null }>(
      "select max(created_at)::text as created_at from drizzle.__drizzle_migrations",
    );
    const value = rows[0]?.created_at;
    return value ? Number(value) : null;
  } catch (error) {
    // undefined_table / invalid_schema_name: nothing was ever migrated here.
    const code = (error as { code?: string }).code;
    if (code === "42P01" || code === "3F000") return null;
    throw error;
  }
}
