import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { TASK_LOCK_SPACE, withTaskLock } from "../../src/db/task-lock.js";
import { waitFor } from "../runner/support/wait-for.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";

/** Task locks of this test file's own database (pg_locks lists the whole cluster's). */
const HERE = sql`database = (select oid from pg_database where datname = current_database()) and classid = ${TASK_LOCK_SPACE}`;

let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

/** A promise and the function that resolves it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe("withTaskLock", () => {
  it("lets one holder at a time work on a task; other tasks are not held up", async () => {
    const order: string[] = [];
    const firstIn = gate();
    const release = gate();
    const first = withTaskLock(db, 1, async () => {
      order.push("first in");
      firstIn.open();
      await release.opened;
      order.push("first out");
    });
    await firstIn.opened;
    const second = withTaskLock(db, 1, async () => {
      order.push("second in");
    });
    await withTaskLock(db, 2, async () => {
      order.push("other task");
    });
    // The second holder of task 1 queues on the database lock meanwhile.
    await waitFor("the second holder to wait on the lock", async () => {
      const waiting = await db.execute<{ n: number }>(
        sql`select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted and ${HERE}`,
      );
      return waiting.rows[0]?.n === 1;
    });
    expect(order).toEqual(["first in", "other task"]);
    release.open();
    await Promise.all([first, second]);
    expect(order).toEqual(["first in", "other task", "first out", "second in"]);
  });

  it("runs the work on the lock's own connection", async () => {
    const pids = await withTaskLock(db, 3, async (locked) => {
      const mine = await locked.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
      const held = await locked.execute<{ pid: number }>(
        sql`select pid from pg_locks where locktype = 'advisory' and granted and objid = 3 and ${HERE}`,
      );
      return { mine: mine.rows[0]?.pid, held: held.rows.map((r) => r.pid) };
    });
    expect(pids.held).toEqual([pids.mine]);
  });

  it("releases the lock when the work throws, and passes the error on", async () => {
    await expect(
      withTaskLock(db, 4, async () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    const value = await withTaskLock(db, 4, async () => "again");
    expect(value).toBe("again");
    const held = await db.execute<{ n: number }>(
      sql`select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = 4 and ${HERE}`,
    );
    expect(held.rows[0]?.n).toBe(0);
  });

  it("does not exhaust the pool when many tasks are locked at once", async () => {
    const max = db.$client.options.max ?? 10;
    const results = await Promise.all(
      Array.from({ length: max * 2 }, (_, i) =>
        withTaskLock(db, 100 + i, async (locked) => {
          await locked.execute(sql`select 1`);
          return i;
        }),
      ),
    );
    expect(results).toHaveLength(max * 2);
  });
});
