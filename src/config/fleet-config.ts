import { z } from "zod";
import { durationSchema } from "./durations.js";

/**
 * The one schema of `.github/fleet.yml`. It supplies the defaults, the TypeScript type and the
 * error messages; a later JSON Schema export comes from here too.
 */
// prefault (not default) so the fallback text runs through the parser and comes out in ms.
const duration = (fallback: string) => durationSchema.prefault(fallback);

export const agentSchema = z
  .object({
    adapter: z
      .enum(["command", "claude-code", "codex", "aider"])
      .default("command")
      .describe("Which agent adapter runs the work"),
    command: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        "argv template for the command adapter: {promptFile} {issueNumber} {workdir} {repoFullName}",
      ),
    model: z.string().optional().describe("the model the agent uses, where its adapter takes one"),
    maxTurns: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("the most turns an agent may take, where its adapter takes a limit"),
    env: z
      .array(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable name"))
      .default([])
      .describe("names of runner environment variables passed through to the agent"),
    timeout: duration("30m").describe("wall-clock limit of one attempt"),
    stallTimeout: duration("5m").describe("an agent with no heartbeat for this long is stopped"),
    killGrace: duration("10s").describe(
      "time between SIGTERM and SIGKILL when an agent is stopped",
    ),
    maxAttempts: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(3)
      .describe("attempts per task before it fails and the issue is told"),
    maxCostUsd: z
      .number()
      .positive()
      .optional()
      .describe("the agent is stopped once the cost it reports for one attempt passes this"),
    maxConcurrent: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(2)
      .describe("agents running at once for this repository, across all runners"),
  })
  .strict();

/** Lock files never count towards a PR's size (Prow's size plugin skips generated files too). */
/** Where a repository keeps its configuration, on its default branch. */
export const FLEET_CONFIG_PATH = ".github/fleet.yml";

export const DEFAULT_SIZE_IGNORE = [
  "**/package-lock.json",
  "**/yarn.lock",
  "**/pnpm-lock.yaml",
  "**/*.lock",
  "**/go.sum",
  "**/Cargo.lock",
];

export const DEFAULT_PROTECTED_PATHS = [".github/**", "**/migrations/**", "**/*.lock"];

export const policySchema = z
  .object({
    ignore: z
      .array(z.string().min(1))
      .default(DEFAULT_SIZE_IGNORE)
      .describe("globs left out of the size"),
    maxLines: z.number().int().positive().default(1000).describe("above this, the PR is blocked"),
    maxFiles: z
      .number()
      .int()
      .positive()
      .default(50)
      .describe("above this many changed files, the PR is blocked"),
    review: z
      .object({
        lines: z.number().int().positive().default(300).describe("above this, a human reviews"),
        files: z
          .number()
          .int()
          .positive()
          .default(15)
          .describe("above this many changed files, a human reviews"),
      })
      .strict()
      .prefault({}),
    protectedPaths: z
      .array(z.string().min(1))
      .default(DEFAULT_PROTECTED_PATHS)
      .describe("globs a human must review whenever a PR touches them"),
    codeownersProtected: z
      .boolean()
      .default(false)
      .describe("also treat every path CODEOWNERS assigns as protected"),
    reviewers: z
      .array(z.string().min(1))
      .default([])
      .describe("users (or org/team) asked to review PRs that need a human"),
    requiredChecks: z
      .union([z.literal("all"), z.array(z.string().min(1))])
      .default("all")
      .describe("check names that must pass, or all checks and statuses on the head"),
    autoMerge: z.boolean().default(true).describe("merge PRs the policy finds mergeable"),
    mergeMethod: z
      .enum(["squash", "merge", "rebase"])
      .default("squash")
      .describe("how the fleet merges"),
    checksTimeout: duration("2h").describe("required checks still pending after this are flagged"),
    maxFixAttempts: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(2)
      .describe("agent attempts to fix failed checks or requested changes before humans are asked"),
    postMerge: z
      .object({
        timeout: duration("1h").describe(
          "with no check on the merge commit by then, the merge counts as verified",
        ),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export const fleetConfigSchema = z
  .object({
    _extends: z
      .string()
      // What Probot's config reader accepts; anything else fails there, at every event.
      .regex(
        /^(?:[a-zA-Z\d](?:[a-zA-Z\d]|-(?=[a-zA-Z\d])){0,38}\/)?[-.\w]+(?::[-./\w]+\.[yY][aA]?[mM][lL])?$/,
        "a repository to extend, like .github or org/repo:path.yml",
      )
      .optional()
      .describe("inherit from another repo's fleet.yml, e.g. `.github` or `org/repo:path.yml`"),
    trigger: z
      .object({
        label: z
          .string()
          .min(1)
          .max(50)
          .default("agent-ready")
          .describe("the issue label that dispatches an agent"),
        allowBots: z
          .array(z.string().regex(/\[bot\]$/, "a bot login, ending in [bot]"))
          .default([])
          .describe(
            "bot accounts (e.g. renovate[bot]) whose label dispatches; other bots are ignored",
          ),
      })
      .strict()
      .prefault({}),
    agent: agentSchema.prefault({}),
    retry: z
      .object({
        initial: duration("10s").describe("wait before the first retry; doubles each time"),
        max: duration("5m").describe("the longest wait between retries"),
      })
      .strict()
      .prefault({}),
    policy: policySchema.prefault({}),
    dashboard: z
      .boolean()
      .default(true)
      .describe('keep an "agent-fleet dashboard" issue in the repo, updated as tasks move'),
    report: z
      .object({
        post: z
          .string()
          .regex(/^[\w.-]+\/[\w.-]+$/, "a repository as owner/name")
          .optional()
          .describe("post the morning report as an issue in this repository"),
        at: z
          .string()
          .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a time of day as HH:MM (UTC)")
          .default("07:00")
          .describe("when the report is posted each day, UTC"),
        window: duration("24h").describe("how far back the posted report looks"),
        fileIssues: z
          .boolean()
          .default(false)
          .describe("file one issue per new infrastructure failure cause, found by fingerprint"),
      })
      .strict()
      .prefault({}),
    budget: z
      .object({
        dailyUsd: z
          .number()
          .positive()
          .optional()
          .describe("no new dispatch for the installation once agents spent this today (UTC)"),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type FleetConfig = z.infer<typeof fleetConfigSchema>;
export type AgentConfig = z.infer<typeof agentSchema>;
export type PolicyConfig = z.infer<typeof policySchema>;
export type ReportConfig = FleetConfig["report"];

export const DEFAULT_FLEET_CONFIG: FleetConfig = fleetConfigSchema.parse({});

export type ConfigResult = { ok: true; config: FleetConfig } | { ok: false; errors: ConfigError[] };
export interface ConfigError {
  path: string;
  message: string;
}

/** One problem of a parsed file: the keys that lead to the setting, and what is wrong with it. */
export interface ConfigIssue {
  keys: PropertyKey[];
  message: string;
}

/** The schema's verdict with each problem's keys, one per unknown key (zod lists them together). */
export function checkFleetConfig(
  raw: unknown,
): { ok: true; config: FleetConfig } | { ok: false; issues: ConfigIssue[] } {
  const tagged = taggedValues(raw);
  if (tagged.length > 0) return { ok: false, issues: tagged };
  const result = fleetConfigSchema.safeParse(raw ?? {});
  if (result.success) return { ok: true, config: result.data };
  return {
    ok: false,
    issues: result.error.issues.flatMap((issue) =>
      issue.code === "unrecognized_keys"
        ? issue.keys.map((key) => ({ keys: [...issue.path, key], message: "not a known setting" }))
        : [{ keys: issue.path, message: issue.message }],
    ),
  };
}

/**
 * YAML's `!!binary`, `!!set`, `!!omap` and `!!timestamp` parse to objects that zod would take
 * apart as maps (a Buffer's every method an unknown key); the schema only speaks plain data.
 */
function taggedValues(raw: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<object>();
  // A loop, not recursion: however deep the data nests, this does not run out of stack.
  const pending: { value: unknown; keys: PropertyKey[] }[] = [{ value: raw, keys: [] }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, keys } = next;
    if (typeof value !== "object" || value === null || seen.has(value)) continue;
    seen.add(value);
    const proto = Object.getPrototypeOf(value);
    if (Array.isArray(value) || proto === Object.prototype || proto === null) {
      // Pushed last to first, so they come off the stack in the file's order.
      for (const [key, item] of Object.entries(value).reverse()) {
        pending.push({ value: item, keys: [...keys, Array.isArray(value) ? Number(key) : key] });
      }
    } else {
      const kind =
        (value as { constructor?: { name?: string } }).constructor?.name ?? "tagged value";
      issues.push({ keys, message: `a ${kind}, not plain YAML: drop its !!tag` });
    }
  }
  return issues;
}

/** `agent.env.0`; a key that is blank, dotted or odd is quoted, so it reads as what it is. */
export function formatKeyPath(keys: readonly PropertyKey[]): string {
  if (keys.length === 0) return "(root)";
  return keys
    .map((key) => (/^[\w-]+$/.test(String(key)) ? String(key) : JSON.stringify(String(key))))
    .join(".");
}

/** Validates parsed YAML; never throws, so a bad file becomes a readable report instead of a crash. */
export function parseFleetConfig(raw: unknown): ConfigResult {
  const checked = checkFleetConfig(raw);
  if (checked.ok) return checked;
  return {
    ok: false,
    errors: checked.issues.map((issue) => ({
      path: formatKeyPath(issue.keys),
      message: issue.message,
    })),
  };
}

/** Comments and check runs list at most this many problems: GitHub caps their size. */
export const MAX_LISTED_CONFIG_ERRORS = 50;

export function formatConfigErrors(errors: readonly ConfigError[]): string {
  const listed = errors
    .slice(0, MAX_LISTED_CONFIG_ERRORS)
    .map((e) => `- \`${e.path}\`: ${e.message}`);
  return [...listed, ...moreConfigErrors(errors.length)].join("\n");
}

/** The line saying how many problems were left out of a capped list, if any were. */
export function moreConfigErrors(count: number): string[] {
  const more = count - MAX_LISTED_CONFIG_ERRORS;
  return more > 0 ? [`… and ${more} more (\`fleet config validate\` lists them all)`] : [];
}
