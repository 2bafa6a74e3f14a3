import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { DbOrTx } from "../db/client.js";
import { getRepoState } from "../db/queries/repo-states.js";
import { tasks } from "../db/schema.js";
import { ACTIVE_STATES } from "../db/task-states.js";
import type { DashboardTask, DashboardView } from "./render.js";

/** Reverted work is history: the dashboard keeps the latest few in view. */
export const REVERTED_SHOWN = 10;

const columns = {
  taskId: tasks.id,
  kind: tasks.kind,
  issue: tasks.issueNumber,
  title: tasks.issueTitle,
  state: tasks.state,
  pr: tasks.prNumber,
  attempt: tasks.attempt,
  runAfter: tasks.runAfter,
  lastError: tasks.lastError,
  flaggedReason: tasks.flaggedReason,
  decision: tasks.decision,
  decisionReason: tasks.decisionReason,
  // Only this one setting of the snapshot is read: a mergeable PR waits for a human when it is off.
  autoMerge: sql<string | null>`${tasks.config}->'policy'->>'autoMerge'`,
};

type Row = {
  taskId: number;
  kind: DashboardTask["kind"];
  issue: number;
  title: string;
  state: DashboardTask["state"];
  pr: number | null;
  attempt: number;
  runAfter: Date;
  lastError: string | null;
  flaggedReason: string | null;
  decision: string | null;
  decisionReason: string | null;
  autoMerge: string | null;
};

const line = (row: Row, note: string | null = null): DashboardTask => ({
  taskId: row.taskId,
  kind: row.kind,
  issue: row.issue,
  title: row.title,
  state: row.state,
  pr: row.pr,
  attempt: row.attempt,
  note,
  runAfter: row.state === "retry_wait" ? row.runAfter : null,
});

/** Why an open PR waits on people rather than on the fleet; null while the fleet handles it. */
function waitsOnHumans(row: Row): string | null {
  if (row.state === "needs_review") return row.flaggedReason ?? row.decisionReason;
  if (row.state !== "pr_open") return null;
  if (row.flaggedReason) return row.flaggedReason;
  if (row.decision === "blocked" || row.decision === "needs_review") return row.decisionReason;
  if (row.decision === "mergeable" && row.autoMerge === "false") {
    return "mergeable; policy.autoMerge is off, so a human merges it";
  }
  return null;
}

/** Everything the dashboard of one repository shows, read in four queries. */
export async function readDashboardView(db: DbOrTx, repoFullName: string): Promise<DashboardView> {
  const state = await getRepoState(db, repoFullName);
  const active = (await db
    .select(columns)
    .from(tasks)
    .where(and(eq(tasks.repoFullName, repoFullName), inArray(tasks.state, [...ACTIVE_STATES])))
    .orderBy(desc(tasks.priority), asc(tasks.id))) as Row[];

  // A failed task is only retryable while it is its issue's newest task (see human-retry.ts).
  const newestPerIssue = (await db
    .selectDistinctOn([tasks.issueNumber], columns)
    .from(tasks)
    .where(eq(tasks.repoFullName, repoFullName))
    .orderBy(asc(tasks.issueNumber), desc(tasks.id))) as Row[];
  const failed = newestPerIssue.filter((r) => r.state === "failed");

  const revert = alias(tasks, "revert");
  const reverted = await db
    .select({ ...columns, revertPr: revert.prNumber })
    .from(tasks)
    .leftJoin(revert, and(eq(revert.revertOfTaskId, tasks.id), eq(revert.kind, "revert")))
    .where(and(eq(tasks.repoFullName, repoFullName), eq(tasks.state, "reverted")))
    .orderBy(desc(tasks.updatedAt), desc(tasks.id))
    .limit(REVERTED_SHOWN);

  const awaitingReview: DashboardTask[] = [];
  const running: DashboardTask[] = [];
  const queued: DashboardTask[] = [];
  const openPulls: DashboardTask[] = [];
  for (const row of active) {
    const humans = waitsOnHumans(row);
    if (humans !== null || row.state === "needs_review") awaitingReview.push(line(row, humans));
    else if (row.state === "running") running.push(line(row));
    else if (row.state === "queued" || row.state === "retry_wait") queued.push(line(row));
    else openPulls.push(line(row));
  }
  return {
    repoFullName,
    paused: state?.pausedAt ? { since: state.pausedAt, reason: state.pausedReason } : null,
    configError: state?.configErrors
      ? { problems: state.configErrors.length, issue: state.configErrorIssue }
      : null,
    awaitingReview,
    failed: failed.map((r) => line(r, r.lastError)),
    running,
    queued,
    openPulls,
    reverted: reverted.map((r) =>
      line(r as Row, r.revertPr === null ? null : `undone by PR #${r.revertPr}`),
    ),
  };
}
