import { eq } from "drizzle-orm";
import { pino } from "pino";
import type { Clock } from "../../../src/config/clock.js";
import type { Db } from "../../../src/db/client.js";
import { enqueueTask } from "../../../src/db/queries/enqueue.js";
import { type Task, tasks } from "../../../src/db/schema.js";
import type { TaskState } from "../../../src/db/task-states.js";
import type { MergeDeps } from "../../../src/merge/index.js";
import { taskInput } from "../../db/fixtures.js";

/** A clock the test moves by hand; durations are not scaled. */
export function manualClock(start = Date.parse("2030-01-01T00:00:00Z")) {
  let now = start;
  const clock: Clock & { advance(ms: number): void } = {
    now: () => now,
    scale: (ms) => ms,
    sleep: async () => {},
    advance: (ms) => {
      now += ms;
    },
  };
  return clock;
}

export function mergeDeps(db: Db, clock = manualClock()): MergeDeps & { clock: typeof clock } {
  return { db, log: pino({ level: process.env.TEST_LOG ?? "silent" }), clock };
}

let nextPr = 100;

/**
 * A task whose PR is open, as the runner leaves it (state pr_open, PR number, branch, head). The
 * state is written directly: getting there through a real claim and agent is the runner's test.
 */
export async function openPullTask(
  db: Db,
  options: {
    repo?: string;
    headSha?: string;
    policy?: Record<string, unknown>;
    state?: TaskState;
    kind?: "issue" | "revert";
    set?: Partial<Task>;
  } = {},
): Promise<Task> {
  const prNumber = nextPr++;
  const { task } = await enqueueTask(
    db,
    taskInput({
      repoFullName: options.repo ?? "octo/repo",
      config: { agent: { adapter: "command" }, policy: options.policy ?? {} },
    }),
  );
  if (!task) throw new Error("enqueue returned no task");
  const [updated] = await db
    .update(tasks)
    .set({
      state: options.state ?? "pr_open",
      kind: options.kind ?? "issue",
      prNumber,
      prUrl: `https://github.example/pull/${prNumber}`,
      branch: `fleet/${task.issueNumber}-work`,
      headSha: options.headSha ?? null,
      ...options.set,
    })
    .where(eq(tasks.id, task.id))
    .returning();
  if (!updated) throw new Error("no task row");
  return updated;
}

export async function reload(db: Db, id: number): Promise<Task> {
  const [task] = await db.select().from(tasks).where(eq(tasks.id, id));
  if (!task) throw new Error(`task ${id} is gone`);
  return task;
}

/** `n` changed lines in one source file. */
export const lines = (n: number, filename = "src/feature.ts") => ({
  filename,
  additions: n,
  deletions: 0,
});
