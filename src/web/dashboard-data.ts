import { asc, desc, eq } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import { listAttempts, listEvents } from "../db/queries/index.js";
import { type Attempt, type Event, type Task, tasks } from "../db/schema.js";
import { collectStatus, type FleetStatus } from "../status/fleet-status.js";

export interface RecentTask {
  id: number;
  repo: string;
  issue: number;
  title: string;
  state: Task["state"];
  kind: Task["kind"];
  attempt: number;
  prUrl: string | null;
  prNumber: number | null;
  updatedAt: Date;
}

export interface Overview {
  status: FleetStatus;
  recent: RecentTask[];
}

/** What the overview shows: `fleet status`, plus the tasks that changed last. */
export async function loadOverview(db: DbOrTx, recentLimit = 50): Promise<Overview> {
  const status = await collectStatus(db);
  const recent = await db
    .select({
      id: tasks.id,
      repo: tasks.repoFullName,
      issue: tasks.issueNumber,
      title: tasks.issueTitle,
      state: tasks.state,
      kind: tasks.kind,
      attempt: tasks.attempt,
      prUrl: tasks.prUrl,
      prNumber: tasks.prNumber,
      updatedAt: tasks.updatedAt,
    })
    .from(tasks)
    .orderBy(desc(tasks.updatedAt), desc(tasks.id))
    .limit(recentLimit);
  return { status, recent };
}

export interface TaskDetail {
  task: Task;
  events: Event[];
  attempts: Attempt[];
  /** Revert tasks undoing this task's merge. */
  reverts: Array<Pick<Task, "id" | "state" | "prUrl" | "prNumber">>;
}

export async function loadTaskDetail(db: DbOrTx, taskId: number): Promise<TaskDetail | null> {
  const [task] = await db.select().from(tasks).where(eq(tasks.id, taskId));
  if (!task) return null;
  const [events, attempts, reverts] = await Promise.all([
    listEvents(db, taskId),
    listAttempts(db, taskId),
    db
      .select({ id: tasks.id, state: tasks.state, prUrl: tasks.prUrl, prNumber: tasks.prNumber })
      .from(tasks)
      .where(eq(tasks.revertOfTaskId, taskId))
      .orderBy(asc(tasks.id)),
  ]);
  return { task, events, attempts, reverts };
}
