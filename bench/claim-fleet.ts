/** agent-fleet's own queue: each worker claims a task and finishes its attempt, on its own connection. */
import { sql } from "drizzle-orm";
import { createDb, type Db } from "../src/db/client.js";
import { migrate } from "../src/db/migrate.js";
import { finishAttempt } from "../src/db/queries/attempts.js";
import { claimNextTask } from "../src/db/queries/claim.js";
import { tasks } from "../src/db/schema.js";
import { type Contender, Round } from "./claim-round.js";

/** Tasks are spread over this many repos, so the per-repo cap (2 running) never binds. */
const REPOS = 200;

export async function fleetContender(url: string): Promise<Contender> {
  await withDb(url, (db) => migrate(db));
  return {
    name: "agent-fleet",
    databaseUrl: url,
    cycle:
      "claimNextTask (one transaction: SKIP LOCKED pick, repo advisory lock and recount, attempt row, event row with NOTIFY) then finishAttempt (one transaction: fenced task update, event row, attempt update); the next claim waits for the finish",
    seed: (jobs) =>
      withDb(url, async (db) => {
        await db.execute(sql`truncate tasks, attempts, events cascade`);
        const rows = Array.from({ length: jobs }, (_, i) => ({
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
        for (let i = 0; i < rows.length; i += 500) {
          await db.insert(tasks).values(rows.slice(i, i + 500));
        }
        await db.execute(sql`vacuum analyze`);
      }),
    async drain(workers, jobs, deadlineMs) {
      const round = new Round();
      const handles = Array.from({ length: workers }, () => createDb(url, { max: 1 }));
      const deadline = performance.now() + deadlineMs;
      try {
        await Promise.all(
          handles.map(async ({ db }, w) => {
            while (round.completed < jobs && performance.now() < deadline) {
              const claim = await claimNextTask(db, { runnerId: `bench-${w}`, leaseMs: 60_000 });
              if (!claim) return;
              await finishAttempt(db, {
                attemptId: claim.attempt.id,
                taskId: claim.task.id,
                leaseToken: claim.attempt.leaseToken,
                outcome: "no_changes",
                to: "no_changes",
              });
              round.completedOne();
            }
          }),
        );
      } finally {
        await Promise.all(handles.map((h) => h.close()));
      }
      return round;
    },
  };
}

/** A pool for one step, closed after it: rounds are measured with no other connection open. */
async function withDb<T>(url: string, use: (db: Db) => Promise<T>): Promise<T> {
  const handle = createDb(url);
  try {
    return await use(handle.db);
  } finally {
    await handle.close();
  }
}
