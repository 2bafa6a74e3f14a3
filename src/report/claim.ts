import { sql } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";

/**
 * Claims the daily report run of a target repo: sets its `report_posted_at` to `at` unless a
 * run at or after `slot` already did. One conditional upsert, so of any number of runners one
 * wins; the others wait on the row lock, see the new value and get null. The winner learns when
 * the previous run was (null: never).
 */
export async function claimReportRun(
  db: DbOrTx,
  input: { target: string; installationId: number; slot: Date; at: Date },
): Promise<{ previousRunAt: Date | null } | null> {
  const { rows } = await db.execute<{ previous: string | null }>(sql`
    with before as (
      select report_posted_at from repo_states where repo_full_name = ${input.target}
    )
    insert into repo_states (repo_full_name, installation_id, report_posted_at)
    values (${input.target}, ${input.installationId}, ${input.at.toISOString()}::timestamptz)
    on conflict (repo_full_name) do update
      set report_posted_at = excluded.report_posted_at, updated_at = now()
      where repo_states.report_posted_at is null
         or repo_states.report_posted_at < ${input.slot.toISOString()}::timestamptz
    returning (select report_posted_at from before) as previous`);
  const row = rows[0];
  if (!row) return null;
  return { previousRunAt: row.previous === null ? null : new Date(row.previous) };
}

/** Gives a claimed run back (the post failed), so the next round tries again. */
export async function releaseReportRun(
  db: DbOrTx,
  input: { target: string; at: Date; previousRunAt: Date | null },
): Promise<void> {
  await db.execute(sql`
    update repo_states
    set report_posted_at = ${input.previousRunAt?.toISOString() ?? null}::timestamptz,
        updated_at = now()
    where repo_full_name = ${input.target}
      and report_posted_at = ${input.at.toISOString()}::timestamptz`);
}
