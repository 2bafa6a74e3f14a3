import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClock } from "../../src/config/clock.js";
import { enqueueTask } from "../../src/db/queries/index.js";
import { taskInput } from "../db/fixtures.js";
import { waitFor } from "../runner/support/wait-for.js";
import { useTestDatabase } from "../support/db.js";
import { openStream } from "./sse-client.js";
import { type DashboardServer, startDashboardServer } from "./support.js";

const database = useTestDatabase();
let server: DashboardServer;

/** The backends of this database that LISTEN on the task events. */
async function listenerPids(): Promise<number[]> {
  const { rows } = await database.db.execute<{ pid: number }>(
    sql`select pid from pg_stat_activity
        where datname = current_database() and query ilike 'LISTEN %fleet_task_event%'`,
  );
  return rows.map((r) => r.pid);
}

beforeAll(async () => {
  server = await startDashboardServer({
    db: database.db,
    databaseUrl: database.url,
    // 1000x: the 15s keep-alive comes every 15 real ms.
    clock: createClock(1000),
    keepAliveMs: 15_000,
  });
});
afterAll(async () => {
  await server?.close();
});

describe("the dashboard's event stream", () => {
  it("fans one LISTEN out to every client as task events", async () => {
    const a = await openStream(`${server.url}/fleet/events`);
    const b = await openStream(`${server.url}/fleet/events`);
    try {
      expect(a.status).toBe(200);
      expect(a.contentType).toBe("text/event-stream; charset=utf-8");
      expect(await listenerPids()).toHaveLength(1);

      const mark = [a.text().length, b.text().length] as const;
      const { task } = await enqueueTask(database.db, taskInput({ repoFullName: "live/repo" }));
      for (const [stream, from] of [
        [a, mark[0]],
        [b, mark[1]],
      ] as const) {
        const text = await stream.waitFor(/event: task\ndata: .*"live\/repo".*\n\n/, from);
        const data = /event: task\ndata: (.*)\n\n/.exec(text.slice(from))?.[1] ?? "";
        expect(JSON.parse(data)).toMatchObject({ taskId: task?.id, to: "queued" });
      }
    } finally {
      a.close();
      b.close();
    }
  });

  it("sends keep-alive comments on the clock's interval", async () => {
    const stream = await openStream(`${server.url}/fleet/events`);
    try {
      const from = stream.text().length;
      await stream.waitFor(/^(: keep-alive\n\n)+/, from);
      expect(stream.text().slice(from)).not.toMatch(/^event:/);
    } finally {
      stream.close();
    }
  });

  it("asks every page to refresh after the LISTEN connection comes back", async () => {
    const stream = await openStream(`${server.url}/fleet/events`);
    try {
      const [pid] = await listenerPids();
      const from = stream.text().length;
      await database.db.execute(sql`select pg_terminate_backend(${pid})`);
      await stream.waitFor(/event: refresh\ndata: \{\}\n\n/, from);
      const again = await waitFor("a new LISTEN connection", async () => (await listenerPids())[0]);
      expect(again).not.toBe(pid);

      const mark = stream.text().length;
      await enqueueTask(database.db, taskInput({ repoFullName: "after/reconnect" }));
      await stream.waitFor(/"after\/reconnect"/, mark);
    } finally {
      stream.close();
    }
  });

  it("answers 503 while the database cannot be listened to", async () => {
    const unreachable = await startDashboardServer({
      db: database.db,
      databaseUrl: "postgres://nobody@127.0.0.1:1/none",
    });
    try {
      const stream = await openStream(`${unreachable.url}/fleet/events`);
      expect(stream.status).toBe(503);
      await stream.ended;
    } finally {
      await unreachable.close();
    }
  });

  it("ends every stream and its LISTEN on close", async () => {
    const own = await startDashboardServer({ db: database.db, databaseUrl: database.url });
    const before = await listenerPids();
    const stream = await openStream(`${own.url}/fleet/events`);
    expect(stream.status).toBe(200);
    const during = await listenerPids();
    expect(during).toHaveLength(before.length + 1);

    await own.dashboard.close();
    await stream.ended;
    const after = await waitFor("the LISTEN connection to go", async () => {
      const pids = await listenerPids();
      return pids.length === before.length ? pids : null;
    });
    expect(after.sort()).toEqual([...before].sort());
    const late = await fetch(`${own.url}/fleet/events`);
    expect(late.status).toBe(503);
    await own.close();
  });
});
