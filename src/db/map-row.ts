import { getTableColumns, type Table } from "drizzle-orm";

/**
 * Turns a raw snake_case row (from a `sql` query) into the table's typed row, using each column's
 * own driver mapping, so raw CTEs return the same shape as the query builder.
 */
export function mapRow<T extends Table>(table: T, raw: Record<string, unknown>): T["$inferSelect"] {
  const out: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = raw[column.name];
    out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return out as T["$inferSelect"];
}
