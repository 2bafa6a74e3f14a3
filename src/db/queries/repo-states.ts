import { and, eq, isNotNull, isNull, sql } from "drizzle-orm";
import type { DbOrTx } from "../client.js";
import { notifyInTx, TASK_QUEUED } from "../notify.js";
import { type RepoState, repoStates } from "../schema.js";
import { inTransaction } from "../transition.js";
import { recordEvent } from "./events.js";

export async function getRepoState(db: DbOrTx, repoFullName: string): Promise<RepoState | null> {
  const [row] = await db.select().from(repoStates).where(eq(repoStates.repoFullName, repoFullName));
  return row ?? null;
}

/** A paused repo gets no new dispatches and no auto-merges (revert work excepted). */
export async function isRepoPaused(db: DbOrTx, repoFullName: string): Promise<boolean> {
  const [row] = await db
    .select({ pausedAt: repoStates.pausedAt })
    .from(repoStates)
    .where(eq(repoStates.repoFullName, repoFullName));
  return Boolean(row?.pausedAt);
}

/**
 * Pauses the repo after a red default branch. Keeps the first pause's reason when it is already
 * paused; returns true only when this call paused it. Leaves the config-error columns alone.
 */
export async function pauseRepo(
  db: DbOrTx,
  input: { repoFullName: string; installationId: number; reason: string; taskId?: number },
): Promise<boolean> {
  const paused = { pausedAt: sql`now()`, pausedReason: input.reason, updatedAt: sql`now()` };
  const byTask = { pausedByTaskId: input.taskId ?? null };
  return inTransaction(db, async (tx) => {
    const rows = await tx
      .insert(repoStates)
      .values({
        repoFullName: input.repoFullName,
        installationId: input.installationId,
        ...paused,
        ...byTask,
      })
      .onConflictDoUpdate({
        target: repoStates.repoFullName,
        set: { ...paused, ...byTask, installationId: input.installationId },
        setWhere: isNull(repoStates.pausedAt),
      })
      .returning({ repo: repoStates.repoFullName });
    if (rows.length > 0) {
      await recordEvent(tx, {
        taskId: input.taskId,
        kind: "repo_paused",
        data: { repo: input.repoFullName, reason: input.reason },
      });
    }
    return rows.length > 0;
  });
}

/** `/fleet resume`: clears the pause. True when the repo was paused. */
export async function resumeRepo(db: DbOrTx, repoFullName: string, by?: string): Promise<boolean> {
  return inTransaction(db, async (tx) => {
    const [current] = await tx
      .select({ pausedByTaskId: repoStates.pausedByTaskId })
      .from(repoStates)
      .where(and(eq(repoStates.repoFullName, repoFullName), isNotNull(repoStates.pausedAt)))
      .for("update");
    if (!current) return false;
    await tx
      .update(repoStates)
      .set({ pausedAt: null, pausedReason: null, pausedByTaskId: null, updatedAt: sql`now()` })
      .where(eq(repoStates.repoFullName, repoFullName));
    // Filed under the task that caused the pause, so its timeline shows the resume.
    await recordEvent(tx, {
      taskId: current.pausedByTaskId ?? undefined,
      kind: "repo_resumed",
      data: { repo: repoFullName, ...(by ? { by } : {}) },
    });
    // The repo's queued tasks were passed over while it was paused: wake the runners.
    await notifyInTx(tx, TASK_QUEUED, repoFullName);
    return true;
  });
}
