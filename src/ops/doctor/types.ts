import type { Clock } from "../../config/clock.js";
import type { AgentConfig } from "../../config/fleet-config.js";
import type { Settings } from "../../config/settings.js";

/** warn: an optional check failed, or something deserves a look; only fail sets the exit code. */
export type CheckStatus = "pass" | "fail" | "warn" | "skip";

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about it; shown when the check did not pass. */
  hint?: string;
}

export interface DoctorInput {
  env: NodeJS.ProcessEnv;
  /** Undefined when the environment does not parse; settingsError says why. */
  settings: Settings | undefined;
  settingsError?: string;
  clock: Clock;
  /** A repository's agent settings (from `--config`): its adapter is then the configured one. */
  agent?: AgentConfig;
  minFreeBytes: number;
  migrationsFolder?: string;
  /** Wraps the slower checks, so a terminal can show a spinner meanwhile. */
  around?: <T>(label: string, work: () => Promise<T>) => Promise<T>;
}
