import { and, eq, sql } from "drizzle-orm";
import type { DbOrTx } from "../client.js";
import { type Runner, runners, tasks } from "../schema.js";
import { dbNowPlus } from "../sql-time.js";

/** Registers (or re-registers after a restart) a runner with a fresh lease. */
export async function registerRunner(
  db: DbOrTx,
  input: { id: string; hostname: string; pid: number; capacity: number; leaseMs: number },
): Promise<Runner> {
  const values = {
    hostname: input.hostname,
    pid: input.pid,
    capacity: input.capacity,
    startedAt: sql`now()`,
    heartbeatAt: sql`now()`,
    leaseExpiresAt: dbNowPlus(input.leaseMs),
    state: "active" as const,
  };
  const [runner] = await db
    .insert(runners)
    .values({ id: input.id, ...values })
    .onConflictDoUpdate({ target: runners.id, set: values })
    .returning();
  if (!runner) throw new Error("upsert into runners returned no row");
  return runner;
}

export interface RunnerCounters {
  claimQueries: number;
  wakeups: number;
}

/** Extends the runner's own lease. False when the runner row is gone or stopped. */
export async function renewRunnerLease(
  db: DbOrTx,
  id: string,
  leaseMs: number,
  counters?: RunnerCounters,
): Promise<boolean> {
  const updated = await db
    .update(runners)
    .set({ heartbeatAt: sql`now()`, leaseExpiresAt: dbNowPlus(leaseMs), ...counters })
    .where(and(eq(runners.id, id), eq(runners.state, "active")))
    .returning({ id: runners.id });
  return updated.length > 0;
}

export async function stopRunner(db: DbOrTx, id: string, counters?: RunnerCounters): Promise<void> {
  await db
    .update(runners)
    .set({ state: "stopped", leaseExpiresAt: sql`now()`, ...counters })
    .where(eq(runners.id, id));
}

/** Extends the leases of the runner's running tasks; returns how many it still holds. */
export async function renewTaskLeases(
  db: DbOrTx,
  runnerId: string,
  leaseMs: number,
): Promise<number> {
  const renewed = await db
    .update(tasks)
    .set({ leaseExpiresAt: dbNowPlus(leaseMs) })
    .where(and(eq(tasks.leaseOwner, runnerId), eq(tasks.state, "running")))
    .returning({ id: tasks.id });
  return renewed.length;
}
