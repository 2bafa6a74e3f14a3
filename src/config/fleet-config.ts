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
      .enum(["command", "claude-code"])
      .default("command")
      .describe("Which agent adapter runs the work"),
    command: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        "argv template for the command adapter: {promptFile} {issueNumber} {workdir} {repoFullName}",
      ),
    model: z.string().optional(),
    maxTurns: z.number().int().positive().optional(),
    env: z
      .array(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable name"))
      .default([])
      .describe("names of runner environment variables passed through to the agent"),
    timeout: duration("30m"),
    stallTimeout: duration("5m"),
    killGrace: duration("10s"),
    maxAttempts: z.number().int().min(1).max(20).default(3),
    maxConcurrent: z.number().int().min(1).max(100).default(2),
  })
  .strict();

export const fleetConfigSchema = z
  .object({
    _extends: z
      .string()
      .optional()
      .describe("inherit from another repo's fleet.yml, e.g. `.github` or `org/repo:path.yml`"),
    trigger: z
      .object({
        label: z.string().min(1).max(50).default("agent-ready"),
      })
      .strict()
      .prefault({}),
    agent: agentSchema.prefault({}),
    retry: z
      .object({ initial: duration("10s"), max: duration("5m") })
      .strict()
      .prefault({}),
  })
  .strict();

export type FleetConfig = z.infer<typeof fleetConfigSchema>;
export type AgentConfig = z.infer<typeof agentSchema>;

export const DEFAULT_FLEET_CONFIG: FleetConfig = fleetConfigSchema.parse({});

export type ConfigResult = { ok: true; config: FleetConfig } | { ok: false; errors: ConfigError[] };
export interface ConfigError {
  path: string;
  message: string;
}

/** Validates parsed YAML; never throws, so a bad file becomes a readable report instead of a crash. */
export function parseFleetConfig(raw: unknown): ConfigResult {
  const result = fleetConfigSchema.safeParse(raw ?? {});
  if (result.success) return { ok: true, config: result.data };
  return {
    ok: false,
    errors: result.error.issues.map((issue) => ({
      path: issue.path.length ? issue.path.join(".") : "(root)",
      message: issue.message,
    })),
  };
}

export function formatConfigErrors(errors: readonly ConfigError[]): string {
  return errors.map((e) => `- \`${e.path}\`: ${e.message}`).join("\n");
}
