import { type SQL, sql } from "drizzle-orm";

/** ISO text of a time, for a `::timestamptz` parameter. */
export function iso(date: Date): string {
  return date.toISOString();
}

/** `column in (...repos)`; true without a repo list. */
export function repoFilter(column: SQL, repos: readonly string[] | undefined): SQL {
  if (repos === undefined) return sql`true`;
  if (repos.length === 0) return sql`false`;
  return sql`${column} in (${sql.join(
    repos.map((r) => sql`${r}`),
    sql`, `,
  )})`;
}
