import { and, asc, desc, eq, inArray, or } from "drizzle-orm";
import type { DbOrTx } from "../client.js";
import { type Event, events, type Task, tasks } from "../schema.js";
import { ACTIVE_STATES } from "../task-states.js";

export async function getTask(db: DbOrTx, id: number): Promise<Task | null> {
  const [task] = await db.select().from(tasks).where(eq(tasks.id, id));
  return task ?? null;
}

/** The task holding the issue's active slot, if any (there is at most one). */
export async function findActiveTask(
  db: DbOrTx,
  repoFullName: string,
  issueNumber: number,
): Promise<Task | null> {
  const [task] = await db
    .select()
    .from(tasks)
    .where(
      and(
        eq(tasks.repoFullName, repoFullName),
        eq(tasks.issueNumber, issueNumber),
        eq(tasks.kind, "issue"),
        inArray(tasks.state, [...ACTIVE_STATES]),
      ),
    );
  return task ?? null;
}

export async function listEvents(db: DbOrTx, taskId: number): Promise<Event[]> {
  return db.select().from(events).where(eq(events.taskId, taskId)).orderBy(asc(events.id));
}

/** Newest first. */
export async function listTasks(db: DbOrTx, options: { limit?: number } = {}): Promise<Task[]> {
  return db
    .select()
    .from(tasks)
    .orderBy(desc(tasks.id))
    .limit(options.limit ?? 1000);
}

/** The newest task of an issue, or of the task whose PR has this number: what a command means. */
export async function latestTaskFor(
  db: DbOrTx,
  repoFullName: string,
  number: number,
): Promise<Task | null> {
  const [task] = await db
    .select()
    .from(tasks)
    .where(
      and(
        eq(tasks.repoFullName, repoFullName),
        or(eq(tasks.issueNumber, number), eq(tasks.prNumber, number)),
      ),
    )
    // Issues and pulls share one number space, so at most one of the two ever matches.
    .orderBy(desc(tasks.id))
    .limit(1);
  return task ?? null;
}
