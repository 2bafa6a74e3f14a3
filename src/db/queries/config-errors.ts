import { eq, sql } from "drizzle-orm";
import type { LocatedConfigError } from "../../config/fleet-config-file.js";
import type { Db } from "../client.js";
import { notifyInTx, TASK_QUEUED } from "../notify.js";
import { repoStates } from "../schema.js";

export interface ConfigErrorState {
  issue: number | null;
  errors: LocatedConfigError[] | null;
}

/**
 * Runs `decide` with the repo's configuration-error state locked (the row is created first if
 * need be), then stores what it returns. Two webhooks about the same broken file serialise here,
 * so only one of them opens the issue.
 */
export async function withConfigErrorState<T>(
  db: Db,
  repo: { fullName: string; installationId: number },
  decide: (state: ConfigErrorState) => Promise<{ next: ConfigErrorState; result: T }>,
): Promise<T> {
  return db.transaction(async (tx) => {
    await tx
      .insert(repoStates)
      .values({ repoFullName: repo.fullName, installationId: repo.installationId })
      .onConflictDoNothing();
    const [row] = await tx
      .select()
      .from(repoStates)
      .where(eq(repoStates.repoFullName, repo.fullName))
      .for("update");
    const { next, result } = await decide({
      issue: row?.configErrorIssue ?? null,
      errors: row?.configErrors ?? null,
    });
    await tx
      .update(repoStates)
      .set({ configErrorIssue: next.issue, configErrors: next.errors, updatedAt: sql`now()` })
      .where(eq(repoStates.repoFullName, repo.fullName));
    return result;
  });
}

export async function hasConfigErrors(db: Db, repoFullName: string): Promise<boolean> {
  const [row] = await db
    .select({ errors: repoStates.configErrors })
    .from(repoStates)
    .where(eq(repoStates.repoFullName, repoFullName));
  return (row?.errors ?? null) !== null;
}

/** Forgets the repo's configuration errors; returns the issue that reported them, if any. */
export async function clearConfigErrors(db: Db, repoFullName: string): Promise<number | null> {
  const { rows } = await db.execute<{ issue: number | null }>(sql`
    update repo_states r set config_errors = null, config_error_issue = null, updated_at = now()
    from (select repo_full_name, config_error_issue from repo_states
          where repo_full_name = ${repoFullName} and config_errors is not null for update) old
    where r.repo_full_name = old.repo_full_name
    returning old.config_error_issue as issue`);
  const cleared = rows.length > 0;
  // Its queued tasks were passed over while the file was broken: wake the runners.
  if (cleared) await notifyInTx(db, TASK_QUEUED, repoFullName);
  return rows[0]?.issue ?? null;
}
