/**
 * graphile-worker without batching: `run()` with `concurrency` N workers, a no-op task, and every
 * batching knob at its off value, so each worker fetches one job per query and completes it
 * with one query. Those are its defaults in 0.17; they are set here so a change of
 * default cannot silently turn batching on.
 */
import { EventEmitter } from "node:events";
import { Logger, makeWorkerUtils, run, type WorkerEvents } from "graphile-worker";
import pg from "pg";
import { runStatement } from "../src/db/scratch-database.js";
import { type Contender, Round, withDeadline } from "./claim-round.js";

const quiet = new Logger(() => (level, message) => {
  if (level === "error") console.error(`graphile-worker: ${message}`);
});

export async function graphileContender(url: string): Promise<Contender> {
  const setup = await makeWorkerUtils({ connectionString: url, logger: quiet });
  await setup.migrate();
  await setup.release();
  return {
    name: "graphile-worker",
    databaseUrl: url,
    cycle:
      "a job fetch (one locking query for one job, localQueue off), the no-op task, then one completion query; graphile-worker issues the completion without waiting for it before fetching the next job, so the round ends only when its jobs table is seen empty",
    async seed(jobs) {
      const utils = await makeWorkerUtils({ connectionString: url, logger: quiet });
      try {
        for (let i = 0; i < jobs; i += 500) {
          const specs = Array.from({ length: Math.min(500, jobs - i) }, () => ({
            identifier: "noop",
            payload: {},
          }));
          await utils.addJobs(specs);
        }
      } finally {
        await utils.release();
      }
      await runStatement(url, "vacuum analyze");
    },
    async drain(workers, jobs, deadlineMs) {
      const round = new Round();
      const events = new EventEmitter() as WorkerEvents;
      let failures = 0;
      let allDone = () => {};
      const finished = new Promise<void>((resolve) => (allDone = resolve));
      events.on("job:complete", ({ error }) => {
        if (error) failures++;
        else round.completedOne();
        if (round.completed + failures >= jobs) allDone();
      });
      const deadline = performance.now() + deadlineMs;
      const runner = await run({
        connectionString: url,
        concurrency: workers,
        // Enough connections that the pool never queues a worker (graphile-worker's own advice).
        maxPoolSize: Math.max(10, workers + 2),
        noHandleSignals: true,
        logger: quiet,
        events,
        taskList: { noop: async () => {} },
        preset: {
          worker: { localQueue: { size: -1 }, completeJobBatchDelay: -1, failJobBatchDelay: -1 },
        },
      });
      const probe = new pg.Client({ connectionString: url });
      await probe.connect();
      try {
        await withDeadline(finished, deadlineMs);
        // Its completions are in flight when job:complete fires: wait for them to commit.
        while (performance.now() < deadline && (await remaining(probe)) > 0) {}
        round.settledAt(performance.now());
      } finally {
        await runner.stop();
        await probe.end();
      }
      if (failures > 0) throw new Error(`graphile-worker: ${failures} no-op jobs failed`);
      return round;
    },
  };
}

async function remaining(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    "select count(*) as n from graphile_worker._private_jobs",
  );
  return Number(rows[0]?.n ?? 0);
}
