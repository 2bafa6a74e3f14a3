import { resolve } from "node:path";
import { getPrivateKey } from "@probot/get-private-key";
import { z } from "zod";
import { durationSchema } from "./durations.js";

/**
 * Process settings from the environment, validated once at startup. Everything a deployment
 * can set is listed in `.env.example`.
 */
const envSchema = z.object({
  DATABASE_URL: z.string().url().optional(),
  FLEET_DATA_DIR: z.string().default(".fleet"),
  FLEET_PG_DIR: z.string().optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().optional(),
  APP_ID: z.coerce.number().int().positive().optional(),
  WEBHOOK_SECRET: z.string().optional(),
  WEBHOOK_PATH: z.string().default("/api/github/webhooks"),
  GITHUB_API_URL: z.string().url().optional(),
  FLEET_GITHUB_THROTTLE: z.enum(["true", "false"]).default("true"),
  FLEET_GITHUB_TIMEOUT: durationSchema
    .pipe(z.number().positive("a timeout above 0"))
    .prefault("30s"),
  // 0 or off: no sweep.
  FLEET_REDELIVERY_INTERVAL: z
    .union([z.enum(["0", "off"]).transform(() => 0), durationSchema], {
      error: "a duration like 15m, or 0 or off for no sweep",
    })
    .prefault("15m"),
  // 0 or off: read fleet.yml from GitHub for every event.
  FLEET_CONFIG_CACHE_TTL: z
    .union([z.enum(["0", "off"]).transform(() => 0), durationSchema], {
      error: "a duration like 1m, or 0 or off for no cache",
    })
    .prefault("1m"),
  FLEET_RUNNER_ID: z.string().optional(),
  FLEET_RUNNER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(4),
  FLEET_LEASE_TTL: durationSchema.prefault("60s"),
  FLEET_AGENT_COMMAND: z.string().optional(),
  FLEET_CLOCK_SPEED: z.coerce.number().positive().default(1),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info"),
  // Empty counts as unset, as `.env.example` leaves it.
  FLEET_DASHBOARD_TOKEN: z
    .string()
    .optional()
    .transform((v) => v || undefined)
    .pipe(z.string().min(16, "use at least 16 random characters").optional()),
});

export interface Settings {
  databaseUrl: string | undefined;
  dataDir: string;
  pgDir: string;
  port: number;
  host: string | undefined;
  appId: number | undefined;
  privateKey: string | undefined;
  webhookSecret: string | undefined;
  webhookPath: string;
  githubApiUrl: string | undefined;
  /** Probot's write pacing; rate-limit retries stay on either way. */
  githubThrottle: boolean;
  /** Real ms a GitHub request may wait for an answer (not scaled by the clock). */
  githubTimeoutMs?: number;
  /** Configured ms between sweeps for failed webhook deliveries; 0 turns the sweep off. */
  redeliveryIntervalMs?: number;
  /** Configured ms a repository's fleet.yml is reused without a push changing it; 0: never. */
  configCacheTtlMs?: number;
  runnerId: string | undefined;
  runnerConcurrency: number;
  leaseTtlMs: number;
  defaultAgentCommand: string[] | undefined;
  logLevel: string;
  /** Divides every configured duration; the simulator replays a night faster with it. */
  clockSpeed?: number;
  /** Required by the /fleet dashboard when set; without it the dashboard answers loopback only. */
  dashboardToken?: string | undefined;
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid environment settings:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const dataDir = resolve(e.FLEET_DATA_DIR);
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir,
    pgDir: resolve(e.FLEET_PG_DIR ?? `${dataDir}/pg`),
    port: e.PORT,
    host: e.HOST,
    appId: e.APP_ID,
    privateKey: readPrivateKey(env),
    webhookSecret: e.WEBHOOK_SECRET,
    webhookPath: e.WEBHOOK_PATH,
    githubApiUrl: e.GITHUB_API_URL,
    githubThrottle: e.FLEET_GITHUB_THROTTLE === "true",
    githubTimeoutMs: e.FLEET_GITHUB_TIMEOUT,
    redeliveryIntervalMs: e.FLEET_REDELIVERY_INTERVAL,
    configCacheTtlMs: e.FLEET_CONFIG_CACHE_TTL,
    runnerId: e.FLEET_RUNNER_ID,
    runnerConcurrency: e.FLEET_RUNNER_CONCURRENCY,
    leaseTtlMs: e.FLEET_LEASE_TTL,
    defaultAgentCommand: parseCommand(e.FLEET_AGENT_COMMAND),
    logLevel: e.LOG_LEVEL,
    clockSpeed: e.FLEET_CLOCK_SPEED,
    dashboardToken: e.FLEET_DASHBOARD_TOKEN,
  };
}

function readPrivateKey(env: NodeJS.ProcessEnv): string | undefined {
  try {
    return getPrivateKey({ env }) ?? undefined;
  } catch (error) {
    throw new Error(`PRIVATE_KEY / PRIVATE_KEY_PATH is unusable: ${(error as Error).message}`);
  }
}

/** FLEET_AGENT_COMMAND is a JSON argv array, or words separated by spaces. */
function parseCommand(text: string | undefined): string[] | undefined {
  if (!text?.trim()) return undefined;
  if (text.trim().startsWith("[")) {
    const argv = z.array(z.string().min(1)).min(1).parse(JSON.parse(text));
    return argv;
  }
  return text.trim().split(/\s+/);
}
