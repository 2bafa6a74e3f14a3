import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client.js";
import { isConnectionLost, isUnreachable } from "../../src/db/patient-pool.js";
import { createLogger } from "../../src/log.js";
import {
  type RestartablePostgres,
  startRestartablePostgres,
} from "../../src/sim/chaos/postgres.js";

// A PostgreSQL of its own: this file stops and starts it, which the shared test cluster must not see.
let root: string;
let postgres: RestartablePostgres;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "fleet-patient-"));
  postgres = await startRestartablePostgres({
    dataDir: join(root, "pg"),
    log: createLogger({ level: "silent" }),
  });
}, 120_000);

afterAll(async () => {
  await postgres?.close();
  await rm(root, { recursive: true, force: true });
});

describe("a pool across a PostgreSQL restart", () => {
  it("waits out the restart: a query sent while the server is down answers once it is back", async () => {
    const { db, close } = createDb(postgres.url);
    try {
      await db.execute(sql`create table if not exists t (n int)`);
      await postgres.stop();
      let answered = false;
      const insert = db.execute(sql`insert into t values (1) returning n`).then((r) => {
        answered = true;
        return r.rows;
      });
      // Still waiting while the server is down: it did not fail at once.
      await expect(Promise.race([insert, postgres.start().then(() => "restarted")])).resolves.toBe(
        "restarted",
      );
      expect(answered).toBe(false);
      await expect(insert).resolves.toEqual([{ n: 1 }]);
      const { rows } = await db.execute<{ count: string }>(
        sql`select count(*)::text as count from t`,
      );
      expect(rows).toEqual([{ count: "1" }]);
    } finally {
      await close();
    }
  }, 60_000);

  it("survives a restart under a checked-out client, and the next query gets a fresh connection", async () => {
    const { db, pool, close } = createDb(postgres.url);
    try {
      const held = await pool.connect();
      await held.query("select 1");
      // The session ends while the client is checked out and idle: without the pool's listener
      // on it, pg throws the error out of the process (vitest reports it as unhandled).
      await postgres.stop();
      await expect(held.query("select 1")).rejects.toThrow(
        /terminating connection|Connection terminated|not queryable/,
      );
      held.release(true);
      await postgres.start();
      const { rows } = await db.execute<{ one: number }>(sql`select 1 as one`);
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await close();
    }
  }, 60_000);

  it("retries only what failed before or around the statement, not what the statement did", () => {
    expect(isUnreachable({ code: "ECONNREFUSED" })).toBe(true);
    expect(isUnreachable({ code: "57P03", message: "the database system is starting up" })).toBe(
      true,
    );
    expect(isConnectionLost({ code: "57P01" })).toBe(true);
    expect(isConnectionLost({ message: "Connection terminated unexpectedly" })).toBe(true);
    expect(isConnectionLost({ code: "23505", message: "duplicate key value" })).toBe(false);
    expect(isUnreachable({ code: "3D000", message: 'database "x" does not exist' })).toBe(false);
    expect(isUnreachable({ message: "Cannot use a pool after calling end on the pool" })).toBe(
      false,
    );
  });
});
