/**
 * Claims per second with 1, 4 and 16 concurrent claimers. Each cycle is claimNextTask followed by
 * finishAttempt, so the figure is the whole dispatch cost. Uses DATABASE_URL when set (in a
 * scratch database), else its own embedded PostgreSQL in a temp dir.
 *
 *   npx tsx bench/claim.ts [tasksPerRound]
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import pg from "pg";
import { createDb, type Db } from "../src/db/client.js";
import { startEmbeddedPostgres } from "../src/db/embedded.js";
import { migrate } from "../src/db/migrate.js";
import { finishAttempt } from "../src/db/queries/attempts.js";
import { claimNextTask } from "../src/db/queries/claim.js";
import { tasks } from "../src/db/schema.js";

const TASKS_PER_ROUND = Number(process.argv[2] ?? 2000);
const REPOS = 200;
const CLAIMERS = [1, 4, 16];

async function main(): Promise<void> {
  let cleanup = async () => {};
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const root = await mkdtemp(join(tmpdir(), "fleet-bench-"));
    const server = await startEmbeddedPostgres({ dataDir: join(root, "data") });
    adminUrl = server.url;
    cleanup = async () => {
      await server.stop();
      await rm(root, { recursive: true, force: true });
    };
  }
  const dbName = `fleet_bench_${randomBytes(4).toString("hex")}`;
  await admin(adminUrl, `create database ${dbName}`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const main = createDb(url.toString());
  try {
    await migrate(main.db);
    console.log(
      `${TASKS_PER_ROUND} tasks per round over ${REPOS} repos; cycle = claim + finishAttempt\n`,
    );
    console.log("claimers | seconds | claims/s");
    console.log("---------|---------|---------");
    for (const n of CLAIMERS) {
      await seed(main.db);
      const { seconds, claimed } = await round(url.toString(), n);
      if (claimed !== TASKS_PER_ROUND) throw new Error(`claimed ${claimed} of ${TASKS_PER_ROUND}`);
      const rate = Math.round(claimed / seconds);
      console.log(`${String(n).padStart(8)} | ${seconds.toFixed(2).padStart(7)} | ${rate}`);
    }
  } finally {
    await main.close();
    await admin(adminUrl, `drop database if exists ${dbName} with (force)`);
    await cleanup();
  }
}

async function seed(db: Db): Promise<void> {
  await db.execute(sql`truncate tasks, attempts, events cascade`);
  const rows = Array.from({ length: TASKS_PER_ROUND }, (_, i) => ({
    repoFullName: `bench/repo-${i % REPOS}`,
    repoId: i % REPOS,
    installationId: 1,
    issueNumber: i + 1,
    issueTitle: `Issue ${i + 1}`,
    issueBody: "",
    defaultBranch: "main",
    cloneUrl: "file:///dev/null",
    requestedBy: "bench",
    state: "queued" as const,
  }));
  for (let i = 0; i < rows.length; i += 500) await db.insert(tasks).values(rows.slice(i, i + 500));
  await db.execute(sql`analyze tasks`);
}

async function round(url: string, claimers: number): Promise<{ seconds: number; claimed: number }> {
  const handles = Array.from({ length: claimers }, () => createDb(url, { max: 1 }));
  const started = performance.now();
  const counts = await Promise.all(
    handles.map(async ({ db }, c) => {
      let claimed = 0;
      for (;;) {
        const claim = await claimNextTask(db, { runnerId: `bench-${c}`, leaseMs: 60_000 });
        if (!claim) return claimed;
        claimed++;
        await finishAttempt(db, {
          attemptId: claim.attempt.id,
          taskId: claim.task.id,
          leaseToken: claim.attempt.leaseToken,
          outcome: "no_changes",
          to: "no_changes",
        });
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(handles.map((h) => h.close()));
  return { seconds, claimed: counts.reduce((a, b) => a + b, 0) };
}

async function admin(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

await main();
