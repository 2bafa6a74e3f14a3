import { count, isNotNull } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import { probeDatabase } from "../db/probe.js";
import { repoStates, tasks } from "../db/schema.js";
import { TASK_STATES } from "../db/task-states.js";
import type { HttpRoute } from "../http/route.js";
import { databaseUp, pausedRepos, registry, tasksByState } from "./registry.js";

/** `GET /metrics` in Prometheus' text format, with the database gauges read at scrape time. */
export function metricsRoute(db: DbOrTx): HttpRoute {
  return async (req, res) => {
    if (pathOf(req.url) !== "/metrics") return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return true;
    }
    await readDatabaseGauges(db);
    const body = await registry.metrics();
    res.writeHead(200, { "content-type": registry.contentType });
    res.end(req.method === "HEAD" ? undefined : body);
    return true;
  };
}

/**
 * Tasks by state and paused repos, counted now. Without a database the scrape still answers,
 * with `fleet_database_up 0` and no stale counts.
 */
export async function readDatabaseGauges(db: DbOrTx): Promise<void> {
  const read = await probeDatabase(async () => {
    const byState = await db
      .select({ state: tasks.state, n: count() })
      .from(tasks)
      .groupBy(tasks.state);
    const [paused] = await db
      .select({ n: count() })
      .from(repoStates)
      .where(isNotNull(repoStates.pausedAt));
    return { byState, paused: paused?.n ?? 0 };
  });
  if (!read) {
    tasksByState.reset();
    pausedRepos.reset();
    databaseUp.set(0);
    return;
  }
  for (const state of TASK_STATES) tasksByState.set({ state }, 0);
  for (const row of read.value.byState) tasksByState.set({ state: row.state }, row.n);
  pausedRepos.set(read.value.paused);
  databaseUp.set(1);
}

function pathOf(url: string | undefined): string {
  return (url ?? "").split("?")[0] ?? "";
}
