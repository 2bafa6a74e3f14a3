import type { Logger } from "pino";
import type { Clock } from "../config/clock.js";
import type { FleetConfig } from "../config/fleet-config.js";
import type { Db } from "../db/client.js";
import type { Attempt, Task } from "../db/schema.js";
import type { DeliveryGitHubFactory } from "../github/types.js";
import type { Workspaces } from "./workspace.js";

/** Everything one attempt needs from its runner. */
export interface AttemptContext {
  task: Task;
  attempt: Attempt;
  config: FleetConfig;
  db: Db;
  clock: Clock;
  log: Logger;
  github: DeliveryGitHubFactory;
  workspaces: Workspaces;
  dataDir: string;
  /** Aborted when the task is cancelled: the agent is killed and nothing is pushed. */
  cancel: AbortSignal;
  /** Aborted when the runner shuts down without draining: the agent is left running. */
  release: AbortSignal;
  /** The runner's lease TTL in real (scaled) milliseconds, for the agent's dead-man's switch. */
  leaseTtlMs: number;
  defaultAgentCommand: string[] | undefined;
  hostEnv: NodeJS.ProcessEnv;
  /** Persists the agent's latest heartbeat (the runner throttles the writes). */
  onHeartbeat(atMs: number): void;
  /**
   * Called after the attempt moved its task to pr_open (a PR opened, or a new head pushed to
   * it), with the task as it is now. Awaited; an error is logged, never thrown.
   */
  afterPullOpened?: (task: Task) => Promise<void>;
}
