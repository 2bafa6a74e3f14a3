/**
 * Claim throughput, side by side on one PostgreSQL: agent-fleet's claim + finish against
 * graphile-worker (no batching) and pg-boss, each with 1, 4 and 16 concurrent workers working
 * the same number of no-op jobs, each queue in a database of its own. A round's figure is jobs
 * per second from its first completion to its last, so start-up and seeding are left out.
 * Uses DATABASE_URL when set (scratch databases, dropped after), else an embedded PostgreSQL.
 *
 *   npx tsx bench/claim.ts [--jobs 2000] [--workers 1,4,16] [--work-seconds 20]
 *
 * pg-boss's work() is bound by its polling interval (see claim-pgboss.ts), so its rounds stop
 * after --work-seconds and report the rate they reached.
 */
import { parseArgs } from "node:util";
import { textTable } from "../src/cli/text-table.js";
import { fleetContender } from "./claim-fleet.js";
import { graphileContender } from "./claim-graphile.js";
import { pgBossContender } from "./claim-pgboss.js";
import type { Contender, Round } from "./claim-round.js";
import { printMachine } from "./machine.js";
import { type CommitCounters, PgStats } from "./pg-stats.js";
import { benchPostgres } from "./postgres.js";

const { values: args } = parseArgs({
  options: {
    jobs: { type: "string", default: "2000" },
    workers: { type: "string", default: "1,4,16" },
    "work-seconds": { type: "string", default: "20" },
  },
});
const JOBS = Number(args.jobs);
const WORKERS = args.workers.split(",").map(Number);
const WORK_SECONDS = Number(args["work-seconds"]);
/** Far beyond any sane round: a stuck queue fails the bench instead of hanging it. */
const ROUND_DEADLINE_MS = 600_000;

async function main(): Promise<void> {
  const postgres = await benchPostgres();
  const stats = await PgStats.connect(postgres.adminUrl);
  try {
    await printMachine(postgres.adminUrl);
    const contenders: Contender[] = [];
    contenders.push(
      await fleetContender(await postgres.createDatabase("bench_fleet")),
      await graphileContender(await postgres.createDatabase("bench_graphile")),
      await pgBossContender(await postgres.createDatabase("bench_pgboss"), "fetch-complete"),
      await pgBossContender(await postgres.createDatabase("bench_pgboss_work"), "work"),
    );
    console.log(`${JOBS} no-op jobs per round; workers: ${WORKERS.join(", ")}\n`);
    const rows: string[][] = [];
    const costRows: string[][] = [];
    for (const workers of WORKERS) {
      const rates = new Map<string, Round>();
      const costs: string[] = [String(workers)];
      for (const contender of contenders) {
        const timeBoxed = contender.name === "pg-boss work()";
        await contender.seed(JOBS);
        const before = await stats.read(contender.databaseUrl);
        const cpuBefore = process.cpuUsage();
        const round = await contender.drain(
          workers,
          JOBS,
          timeBoxed ? WORK_SECONDS * 1000 : ROUND_DEADLINE_MS,
        );
        const cpu = process.cpuUsage(cpuBefore);
        const cost = perJob(before, await stats.read(contender.databaseUrl), round.completed);
        const cpuMsPerJob = ((cpu.user + cpu.system) / 1000 / Math.max(round.completed, 1)).toFixed(
          2,
        );
        costs.push(`${cost.commits} / ${cost.walSyncs} / ${cpuMsPerJob}`);
        if (!timeBoxed && round.completed !== JOBS) {
          throw new Error(`${contender.name}: ${round.completed} of ${JOBS} jobs completed`);
        }
        rates.set(contender.name, round);
        const note = round.completed < JOBS ? ` (${round.completed} done in the time box)` : "";
        console.log(
          `  ${workers} worker(s)  ${contender.name.padEnd(24)} ${Math.round(round.perSecond)} jobs/s over ${round.seconds.toFixed(2)} s, per job ${cost.commits} commits, ${cost.walSyncs} WAL flushes, ${cpuMsPerJob} ms of Node CPU${note}`,
        );
      }
      rows.push(tableRow(workers, rates));
      costRows.push(costs);
    }
    console.log();
    console.log(
      textTable(
        [
          "workers",
          "agent-fleet",
          "graphile-worker",
          "pg-boss fetch+complete",
          "pg-boss work()",
          "fleet / graphile",
          "fleet / pg-boss f+c",
          "fleet / pg-boss work()",
        ],
        rows,
      ),
    );
    console.log("\njobs per second, first completion to last\n");
    console.log(
      "per job: commits / WAL flushes (concurrent commits can share one) / ms of this process's CPU (client side, start-up included)\n",
    );
    console.log(textTable(["workers", ...contenders.map((c) => c.name)], costRows));
    console.log("\nwhat one cycle is:");
    for (const contender of contenders) console.log(`- ${contender.name}: ${contender.cycle}`);
  } finally {
    await stats.close();
    await postgres.close();
  }
}

function perJob(before: CommitCounters, after: CommitCounters, jobs: number) {
  const each = (n: number) => (jobs > 0 ? (n / jobs).toFixed(2) : "-");
  return {
    commits: each(after.commits - before.commits),
    walSyncs: each(after.walSyncs - before.walSyncs),
  };
}

function tableRow(workers: number, rates: Map<string, Round>): string[] {
  const rate = (name: string) => rates.get(name)?.perSecond ?? 0;
  const fleet = rate("agent-fleet");
  const ratio = (other: number) => (other > 0 ? `${(fleet / other).toFixed(2)}x` : "-");
  return [
    String(workers),
    ...["agent-fleet", "graphile-worker", "pg-boss fetch+complete", "pg-boss work()"].map((n) =>
      String(Math.round(rate(n))),
    ),
    ratio(rate("graphile-worker")),
    ratio(rate("pg-boss fetch+complete")),
    ratio(rate("pg-boss work()")),
  ];
}

await main();
