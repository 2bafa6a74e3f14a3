import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { durationSchema } from "../config/durations.js";

/** The scenario file format (version 1): repos, issues with timed label events, and extra events. */
const at = durationSchema.prefault("0s");
const role = z.enum(["read", "triage", "write", "maintain", "admin"]);

const agentStep = z
  .object({
    behavior: z.enum(["succeed", "noop", "fail"]),
    duration: durationSchema.prefault("0s"),
    edit: z.record(z.string(), z.string()).default({}),
  })
  .strict();

const labelEvent = z.union([
  z.object({ name: z.string().min(1), by: z.string().min(1), at }).strict(),
  z.object({ remove: z.string().min(1), by: z.string().min(1), at }).strict(),
]);

const issue = z
  .object({
    repo: z.string().regex(/^[^/]+\/[^/]+$/, "owner/name"),
    number: z.number().int().positive(),
    title: z.string().min(1),
    body: z.string().default(""),
    labels: z.array(labelEvent).default([]),
    close: z
      .object({ by: z.string().min(1), at })
      .strict()
      .optional(),
    agent: z.union([agentStep, z.array(agentStep).min(1)]).optional(),
  })
  .strict();

const event = z.union([
  z
    .object({
      redeliver: z
        .object({ repo: z.string(), issue: z.number().int(), label: z.string() })
        .strict(),
      at: durationSchema.optional(),
    })
    .strict(),
]);

export const scenarioSchema = z
  .object({
    version: z.literal(1).default(1),
    name: z.string().min(1),
    speed: z.number().positive().optional(),
    repos: z
      .array(
        z
          .object({
            slug: z.string().regex(/^[^/]+\/[^/]+$/, "owner/name"),
            files: z.record(z.string(), z.string()).default({}),
            fleetConfig: z.string().optional(),
            collaborators: z.record(z.string(), role).default({}),
          })
          .strict(),
      )
      .min(1),
    issues: z.array(issue).default([]),
    events: z.array(event).default([]),
  })
  .strict()
  .superRefine((scenario, ctx) => {
    const repos = new Set(scenario.repos.map((r) => r.slug));
    scenario.issues.forEach((i, index) => {
      if (!repos.has(i.repo)) {
        ctx.addIssue({
          code: "custom",
          path: ["issues", index, "repo"],
          message: `unknown repo ${i.repo}`,
        });
      }
    });
  });

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioIssue = Scenario["issues"][number];
export type AgentStep = z.infer<typeof agentStep>;

export function parseScenario(text: string, source = "scenario"): Scenario {
  const result = scenarioSchema.safeParse(parseYaml(text));
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`${source} is not a valid scenario:\n${lines.join("\n")}`);
  }
  return result.data;
}

export async function loadScenario(path: string): Promise<Scenario> {
  return parseScenario(await readFile(path, "utf8"), path);
}
