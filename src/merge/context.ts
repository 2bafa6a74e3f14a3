import type { Logger } from "pino";
import type { Clock } from "../config/clock.js";
import {
  DEFAULT_FLEET_CONFIG,
  type PolicyConfig,
  parseFleetConfig,
} from "../config/fleet-config.js";
import type { Db, DbOrTx } from "../db/client.js";
import type { Task } from "../db/schema.js";

/** What the merge domain needs: the database, a logger and the one clock. */
export interface MergeDeps {
  db: Db;
  log: Logger;
  clock: Clock;
}

/** The same, inside a task lock: every query runs on the lock's own connection. */
export interface LockedContext {
  db: DbOrTx;
  log: Logger;
  clock: Clock;
}

/**
 * The task's policy from its config snapshot, parsed again so keys added since the snapshot get
 * their defaults. A snapshot that no longer parses falls back to the defaults.
 */
export function policyOf(task: Pick<Task, "config">): PolicyConfig {
  const parsed = parseFleetConfig(task.config);
  return parsed.ok ? parsed.config.policy : DEFAULT_FLEET_CONFIG.policy;
}

/** A deadline `ms` configured milliseconds from now, on the fleet's clock. */
export function deadlineAfter(clock: Clock, ms: number): Date {
  return new Date(clock.now() + clock.scale(ms));
}
