import { type SQL, sql } from "drizzle-orm";

/** `now() + ms`, computed by the database: its clock is the one all hosts agree on. */
export function dbNowPlus(ms: number): SQL<Date> {
  return sql<Date>`now() + ${Math.round(ms)} * interval '1 millisecond'`;
}
