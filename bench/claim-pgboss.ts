/**
 * pg-boss 10, two ways. `work()` is how pg-boss is meant to be used: one work() call is one
 * worker (v10 has no teamSize), batchSize 1, polling at its floor of 0.5 s. A v10 worker that
 * finished a fetch in under (interval - 100 ms) sleeps for the rest of the interval and nothing
 * wakes it early, so work() tops out near two jobs per second per worker whatever the database
 * can do. The fetch-and-complete variant calls the same two queries in a tight loop per worker,
 * which is what its database work costs when polling is out of the way.
 */

import pg from "pg";
import PgBoss from "pg-boss";
import { runStatement } from "../src/db/scratch-database.js";
import { type Contender, Round, withDeadline } from "./claim-round.js";

const MIN_POLLING_SECONDS = 0.5;

type Mode = "fetch-complete" | "work";

export async function pgBossContender(url: string, mode: Mode): Promise<Contender> {
  // Migrates once; each round then starts its own instance with a pool sized to its workers.
  const setup = await started(url, 2);
  await setup.stop({ graceful: false });
  let queue = "";
  let rounds = 0;
  return {
    name: mode === "work" ? "pg-boss work()" : "pg-boss fetch+complete",
    databaseUrl: url,
    cycle:
      mode === "work"
        ? `work() with batchSize 1 and pollingIntervalSeconds ${MIN_POLLING_SECONDS} (its minimum): fetch (one SKIP LOCKED update), the no-op handler, complete (one update, not awaited by pg-boss); then the worker sleeps out the rest of its polling interval`
        : "fetch(batchSize 1) (one SKIP LOCKED update) then complete (one update), awaited, in a loop per worker: no polling sleep",
    async seed(jobs) {
      // A fresh queue (its own partition in v10) per round, so no round inherits dead rows.
      queue = `noop_${mode.replace("-", "_")}_${++rounds}`;
      const boss = await started(url, 2);
      try {
        await boss.createQueue(queue);
        for (let i = 0; i < jobs; i += 500) {
          const batch = Array.from({ length: Math.min(500, jobs - i) }, () => ({
            name: queue,
            data: {},
          }));
          await boss.insert(batch);
        }
      } finally {
        await boss.stop({ graceful: false });
      }
      await runStatement(url, "vacuum analyze");
    },
    async drain(workers, jobs, deadlineMs) {
      const boss = await started(url, workers + 2);
      const probe = new pg.Client({ connectionString: url });
      await probe.connect();
      try {
        return mode === "work"
          ? await viaWork(boss, probe, queue, workers, jobs, deadlineMs)
          : await viaFetch(boss, queue, workers, jobs, deadlineMs);
      } finally {
        await boss.stop({ graceful: false, wait: true });
        await probe.end();
      }
    },
  };
}

async function started(url: string, max: number): Promise<PgBoss> {
  // No maintenance, no cron: only the queue itself.
  const boss = new PgBoss({ connectionString: url, max, supervise: false, schedule: false });
  boss.on("error", (error) => console.error(`pg-boss: ${error.message}`));
  await boss.start();
  return boss;
}

async function viaFetch(
  boss: PgBoss,
  queue: string,
  workers: number,
  jobs: number,
  deadlineMs: number,
): Promise<Round> {
  const round = new Round();
  const deadline = performance.now() + deadlineMs;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (round.completed < jobs && performance.now() < deadline) {
        const [job] = await boss.fetch(queue, { batchSize: 1 });
        if (!job) return;
        await boss.complete(queue, job.id);
        round.completedOne();
      }
    }),
  );
  return round;
}

async function viaWork(
  boss: PgBoss,
  sql: pg.Client,
  queue: string,
  workers: number,
  jobs: number,
  deadlineMs: number,
): Promise<Round> {
  const round = new Round();
  let allDone = () => {};
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  const deadline = performance.now() + deadlineMs;
  for (let w = 0; w < workers; w++) {
    await boss.work(
      queue,
      { batchSize: 1, pollingIntervalSeconds: MIN_POLLING_SECONDS },
      async (batch) => {
        for (const _ of batch) round.completedOne();
        if (round.completed >= jobs) allDone();
      },
    );
  }
  await withDeadline(finished, deadlineMs);
  await boss.offWork(queue);
  // pg-boss completes after the handler returns, without waiting: wait for the commits.
  while (performance.now() < deadline && (await unfinished(sql, queue)) > 0) {}
  if (round.completed >= jobs) round.settledAt(performance.now());
  return round;
}

/** Jobs fetched whose completion has not committed yet. */
async function unfinished(sql: pg.Client, queue: string): Promise<number> {
  const { rows } = await sql.query<{ n: string }>(
    "select count(*) as n from pgboss.job where name = $1 and state = 'active'",
    [queue],
  );
  return Number(rows[0]?.n ?? 0);
}
