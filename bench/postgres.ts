/**
 * The PostgreSQL a bench runs against: DATABASE_URL when set (scratch databases are created in
 * it and dropped after), else an embedded cluster in a temp dir, removed on close.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../src/db/embedded.js";

export interface BenchPostgres {
  /** A database the superuser can create others from. */
  adminUrl: string;
  /** Creates a fresh, empty database and returns its URL; close() drops it. */
  createDatabase(prefix: string): Promise<string>;
  close(): Promise<void>;
}

export async function benchPostgres(): Promise<BenchPostgres> {
  let stopServer = async () => {};
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const root = await mkdtemp(join(tmpdir(), "fleet-bench-pg-"));
    const server = await startEmbeddedPostgres({ dataDir: join(root, "data") });
    adminUrl = server.url;
    stopServer = async () => {
      await server.stop();
      await rm(root, { recursive: true, force: true });
    };
  }
  const created: string[] = [];
  const url = adminUrl;
  return {
    adminUrl: url,
    async createDatabase(prefix) {
      const name = `${prefix}_${randomBytes(4).toString("hex")}`;
      await runStatement(url, `create database ${name}`);
      created.push(name);
      const dbUrl = new URL(url);
      dbUrl.pathname = `/${name}`;
      return dbUrl.toString();
    },
    async close() {
      for (const name of created) {
        await runStatement(url, `drop database if exists ${name} with (force)`);
      }
      await stopServer();
    },
  };
}

/** Runs one statement on a connection of its own (create database, vacuum: no pool needed). */
export async function runStatement(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
