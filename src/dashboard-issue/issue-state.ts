import { and, desc, eq, isNotNull, isNull, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../db/client.js";
import { repoStates, tasks } from "../db/schema.js";

/**
 * The dashboard columns of `repo_states`. Every write to GitHub is claimed here first, with a
 * conditional UPDATE, so any number of updater processes write a given body once.
 */
export interface DashboardTarget {
  issue: number | null;
  bodyHash: string | null;
  installationId: number;
  /**
   * `dashboard` from the newest task's fleet.yml snapshot. Outside a webhook the updater has no
   * cheap way to read the file, and the snapshot is what the repo's work runs under anyway; a
   * changed setting takes effect with the next task.
   */
  enabled: boolean;
}

/** Null for a repository the fleet has never worked in: it gets no dashboard. */
export async function readDashboardTarget(
  db: DbOrTx,
  repoFullName: string,
): Promise<DashboardTarget | null> {
  const [newest] = await db
    .select({
      installationId: tasks.installationId,
      disabled: sql<boolean | null>`${tasks.config}->'dashboard' = 'false'::jsonb`,
    })
    .from(tasks)
    .where(eq(tasks.repoFullName, repoFullName))
    .orderBy(desc(tasks.id))
    .limit(1);
  const [state] = await db
    .select({
      issue: repoStates.dashboardIssue,
      bodyHash: repoStates.dashboardBodyHash,
      installationId: repoStates.installationId,
    })
    .from(repoStates)
    .where(eq(repoStates.repoFullName, repoFullName));
  const installationId = state?.installationId ?? newest?.installationId;
  if (!newest || installationId === undefined) return null;
  return {
    issue: state?.issue ?? null,
    bodyHash: state?.bodyHash ?? null,
    installationId,
    enabled: newest.disabled !== true,
  };
}

/**
 * Opens the repo's one dashboard issue under the repo_states row lock (as the configuration
 * error issue is): a second updater waits, then finds the issue made. Returns the issue and
 * whether this call created it.
 */
export async function ensureDashboardIssue(
  db: Db,
  repo: { fullName: string; installationId: number },
  bodyHash: string,
  create: () => Promise<number>,
): Promise<{ issue: number; created: boolean }> {
  return db.transaction(async (tx) => {
    await tx
      .insert(repoStates)
      .values({ repoFullName: repo.fullName, installationId: repo.installationId })
      .onConflictDoNothing();
    const [row] = await tx
      .select({ issue: repoStates.dashboardIssue })
      .from(repoStates)
      .where(eq(repoStates.repoFullName, repo.fullName))
      .for("update");
    if (row?.issue != null) return { issue: row.issue, created: false };
    const issue = await create();
    await tx
      .update(repoStates)
      .set({ dashboardIssue: issue, dashboardBodyHash: bodyHash, updatedAt: sql`now()` })
      .where(eq(repoStates.repoFullName, repo.fullName));
    return { issue, created: true };
  });
}

/**
 * Claims the write of a body: sets the hash unless it already holds it. Returns the hash it
 * replaced (to restore if the write fails), or undefined when there is nothing to write.
 */
export async function claimBodyWrite(
  db: DbOrTx,
  repoFullName: string,
  issue: number,
  bodyHash: string,
): Promise<{ previous: string | null } | undefined> {
  const { rows } = await db.execute<{ previous: string | null }>(sql`
    update repo_states r set dashboard_body_hash = ${bodyHash}, updated_at = now()
    from (select repo_full_name, dashboard_body_hash from repo_states
          where repo_full_name = ${repoFullName} and dashboard_issue = ${issue} for update) old
    where r.repo_full_name = old.repo_full_name
      and old.dashboard_body_hash is distinct from ${bodyHash}
    returning old.dashboard_body_hash as previous`);
  const [row] = rows;
  return row ? { previous: row.previous } : undefined;
}

/** Gives a claim back after a failed write, unless another writer claimed a newer body since. */
export async function releaseBodyWrite(
  db: DbOrTx,
  repoFullName: string,
  claimed: string,
  previous: string | null,
): Promise<void> {
  await db
    .update(repoStates)
    .set({ dashboardBodyHash: previous, updatedAt: sql`now()` })
    .where(
      and(eq(repoStates.repoFullName, repoFullName), eq(repoStates.dashboardBodyHash, claimed)),
    );
}

export async function currentBodyHash(db: DbOrTx, repoFullName: string): Promise<string | null> {
  const [row] = await db
    .select({ hash: repoStates.dashboardBodyHash })
    .from(repoStates)
    .where(eq(repoStates.repoFullName, repoFullName));
  return row?.hash ?? null;
}

/**
 * The issue's body no longer matches the hash (a human edited it): the next render writes
 * even an unchanged body, which also unticks the boxes.
 */
export async function forgetBodyHash(
  db: DbOrTx,
  repoFullName: string,
  issue: number,
): Promise<void> {
  await db
    .update(repoStates)
    .set({ dashboardBodyHash: null, updatedAt: sql`now()` })
    .where(and(eq(repoStates.repoFullName, repoFullName), eq(repoStates.dashboardIssue, issue)));
}

/** Detaches the dashboard issue (turned off, or deleted on GitHub); returns what it was. */
export async function detachDashboardIssue(
  db: DbOrTx,
  repoFullName: string,
  issue?: number,
): Promise<{ issue: number; bodyHash: string | null } | undefined> {
  const { rows } = await db.execute<{ issue: number; body_hash: string | null }>(sql`
    update repo_states r set dashboard_issue = null, dashboard_body_hash = null, updated_at = now()
    from (select repo_full_name, dashboard_issue, dashboard_body_hash from repo_states
          where repo_full_name = ${repoFullName} and dashboard_issue is not null
            ${issue === undefined ? sql`` : sql`and dashboard_issue = ${issue}`}
          for update) old
    where r.repo_full_name = old.repo_full_name
    returning old.dashboard_issue as issue, old.dashboard_body_hash as body_hash`);
  const [row] = rows;
  return row ? { issue: row.issue, bodyHash: row.body_hash } : undefined;
}

/** Puts a detached issue back after closing it failed, unless a new one was made meanwhile. */
export async function reattachDashboardIssue(
  db: DbOrTx,
  repoFullName: string,
  detached: { issue: number; bodyHash: string | null },
): Promise<void> {
  await db
    .update(repoStates)
    .set({ dashboardIssue: detached.issue, dashboardBodyHash: detached.bodyHash })
    .where(and(eq(repoStates.repoFullName, repoFullName), isNull(repoStates.dashboardIssue)));
}

/** The repo's dashboard issue number, if it has one. */
export async function dashboardIssueOf(db: DbOrTx, repoFullName: string): Promise<number | null> {
  const [row] = await db
    .select({ issue: repoStates.dashboardIssue })
    .from(repoStates)
    .where(and(eq(repoStates.repoFullName, repoFullName), isNotNull(repoStates.dashboardIssue)));
  return row?.issue ?? null;
}

/** Repos that have a dashboard issue: brought up to date after a start or a lost connection. */
export async function reposWithDashboard(db: DbOrTx): Promise<string[]> {
  const rows = await db
    .select({ repo: repoStates.repoFullName })
    .from(repoStates)
    .where(isNotNull(repoStates.dashboardIssue));
  return rows.map((r) => r.repo);
}
