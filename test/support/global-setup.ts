import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../../src/db/embedded.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** A role allowed to CREATE DATABASE; each test file makes its own database from it. */
    adminDatabaseUrl: string;
  }
}

/** One PostgreSQL for the whole run: DATABASE_URL if set, else a throwaway embedded cluster. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.DATABASE_URL;
  if (external) {
    project.provide("adminDatabaseUrl", external);
    return async () => {};
  }
  const root = await mkdtemp(join(tmpdir(), "fleet-test-pg-"));
  const pg = await startEmbeddedPostgres({
    dataDir: join(root, "data"),
    // Throwaway data: durability only slows the suite down.
    settings: { fsync: "off", synchronous_commit: "off", full_page_writes: "off" },
  });
  project.provide("adminDatabaseUrl", pg.url);
  return async () => {
    await pg.stop();
    await rm(root, { recursive: true, force: true });
  };
}
