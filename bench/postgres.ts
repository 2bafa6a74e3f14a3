/**
 * The PostgreSQL a bench runs against: DATABASE_URL when set (scratch databases are created in
 * it and dropped after), else an embedded cluster in a temp dir, removed on close.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmbeddedPostgres } from "../src/db/embedded.js";
import { createScratchDatabase, type ScratchDatabase } from "../src/db/scratch-database.js";

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
  const created: ScratchDatabase[] = [];
  const url = adminUrl;
  return {
    adminUrl: url,
    async createDatabase(prefix) {
      const scratch = await createScratchDatabase(url, prefix);
      created.push(scratch);
      return scratch.url;
    },
    async close() {
      for (const scratch of created) await scratch.drop();
      await stopServer();
    },
  };
}
