import { setTimeout as delay } from "node:timers/promises";
import { count, inArray, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { tasks } from "../db/schema.js";
import type { TaskState } from "../db/task-states.js";
import type { Runner } from "../runner/runner.js";

const WORKING_STATES: TaskState[] = ["queued", "running", "retry_wait"];

/**
 * Waits until no task is queued, running or waiting to retry and the runner holds no attempt.
 * The simulator observes the app from outside, so it checks the database at a short interval.
 */
export async function waitUntilSettled(input: {
  db: Db;
  runner: Pick<Runner, "activeAttempts">;
  timeoutMs?: number;
}): Promise<void> {
  const deadline = Date.now() + (input.timeoutMs ?? 10 * 60_000);
  for (;;) {
    const [row] = await input.db
      .select({ working: count() })
      .from(tasks)
      .where(inArray(tasks.state, WORKING_STATES));
    if ((row?.working ?? 0) === 0 && input.runner.activeAttempts === 0) return;
    if (Date.now() > deadline) throw new Error("simulation did not settle before its deadline");
    await delay(50);
  }
}

/** The app's own view of each issue: its latest task and whether a label was refused. */
export async function collectAppFacts(db: Db) {
  const taskRows = await db.execute<{
    repo_full_name: string;
    issue_number: number;
    state: string;
    pr_number: number | null;
  }>(sql`select distinct on (repo_full_name, issue_number)
           repo_full_name, issue_number, state, pr_number
         from tasks order by repo_full_name, issue_number, id desc`);
  const tasks = new Map(
    taskRows.rows.map((r) => [
      `${r.repo_full_name}#${r.issue_number}`,
      { state: r.state, prNumber: r.pr_number },
    ]),
  );
  const refusedRows = await db.execute<{ repo: string; issue: number }>(
    sql`select data->>'repo' as repo, (data->>'issue')::int as issue from events where kind = 'refused'`,
  );
  const refused = new Set(refusedRows.rows.map((r) => `${r.repo}#${r.issue}`));
  return { tasks, refused };
}
