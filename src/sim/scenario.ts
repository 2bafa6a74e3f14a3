import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { durationSchema } from "../config/durations.js";
import { AGENT_BEHAVIORS } from "./behaviors.js";
import { API_FAULT_KINDS } from "./emulator/faults.js";
import { checkEventOrder } from "./event-order.js";

/**
 * The scenario file format. Version 2 is a superset of version 1 (whose files stay valid):
 * - `speed`: the default for `--speed`; every scenario and config duration is divided by it;
 * - `runner`: lease TTL and concurrency of every runner process;
 * - `agent` per issue: one step, or a list with one step per attempt (the last one repeats);
 *   behaviours are listed in behaviors.ts;
 * - `events`, each with `at`: `redeliver`, `start-runner: <id>`, `kill-runner: <id>` (SIGKILL),
 *   `restart-server: true`, and `quiet: <duration>`. Runner `a` starts by itself before the
 *   timeline. A quiet period is measured once the work before it has settled (so it measures an
 *   idle fleet even when the work ran late), and nothing may be scheduled inside it.
 * Version 3 adds the merge policy's world:
 * - per issue `ci: { pr, postMerge, duration }` for the emulated CI (`pr` may list one outcome
 *   per head pushed), `review: { state, by, at, body }` and `comment: { body, by, at, on }`
 *   (one or a list each);
 * - `edit: { "src/big.ts": { lines: 1200 } }` for large generated edits;
 * - the event `commit: { repo, files, message }`: a human commit on the default branch.
 * - `faults: { seed, api: { rate, kinds }, webhooks: { drop, delay, maxDelay } }`: GitHub failing.
 * Chaos events (`npm run chaos` draws them; see docs/chaos.md): `kill-server: { down }` (SIGKILL
 * of the webhook server, which then runs as its own process), `restart-postgres: { down }` and
 * `redeliver-storm: { count }`.
 */
const at = durationSchema.prefault("0s");
const role = z.enum(["read", "triage", "write", "maintain", "admin"]);
const runnerId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,30}$/i, "a short runner id, like a or b");

/** A file's new text, or `{ lines: n }` for a generated file of n lines (a large edit). */
const fileEdit = z.union([
  z.string(),
  z.object({ lines: z.number().int().positive().max(100_000) }).strict(),
]);

const agentStep = z
  .object({
    behavior: z.enum(AGENT_BEHAVIORS),
    /** How long the agent works before it finishes; hang, busy and ignore-sigterm never do. */
    duration: durationSchema.prefault("0s"),
    edit: z.record(z.string(), fileEdit).default({}),
  })
  .strict();

const ciOutcome = z.enum(["success", "failure", "pending"]);

/** What the emulated CI does for the issue's PR: per head pushed (the last repeats), and after merge. */
const ciRule = z
  .object({
    pr: z.union([ciOutcome, z.array(ciOutcome).min(1)]).default("success"),
    postMerge: z.enum(["success", "failure", "none"]).default("success"),
    duration: durationSchema.prefault("0s"),
  })
  .strict();

/** A review on the issue's PR, once the PR exists (at `at` or as soon after as it does). */
const reviewStep = z
  .object({
    state: z.enum(["approved", "changes_requested", "commented"]),
    by: z.string().min(1),
    at,
    body: z.string().default(""),
  })
  .strict();

/** A comment (a `/fleet` command, say) on the issue, or on its PR once that exists. */
const commentStep = z
  .object({
    body: z.string().min(1),
    by: z.string().min(1),
    at,
    on: z.enum(["issue", "pr"]).default("issue"),
  })
  .strict();

const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.union([item, z.array(item)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);

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
    /** One step per attempt; the last one repeats. */
    agent: z.union([agentStep, z.array(agentStep).min(1)]).optional(),
    ci: ciRule.optional(),
    review: oneOrMany(reviewStep).default([]),
    comment: oneOrMany(commentStep).default([]),
  })
  .strict();

const share = z.number().min(0).max(1);

/**
 * GitHub's faults, injected by the emulator and drawn from `seed` (the same seed, the same
 * faults): a share of API requests failed with one of `kinds`, and a share of webhook deliveries
 * dropped (the app hears of them only through its missed-delivery sweep) or delayed by up to
 * `maxDelay`, arriving after later ones. Every share defaults to 0: no faults.
 */
const faults = z
  .object({
    seed: z.number().int().default(1),
    api: z
      .object({
        rate: share.default(0),
        kinds: z
          .array(z.enum(API_FAULT_KINDS))
          .min(1)
          .default([...API_FAULT_KINDS]),
      })
      .strict()
      .prefault({}),
    webhooks: z
      .object({
        drop: share.default(0),
        delay: share.default(0),
        maxDelay: durationSchema.prefault("1m"),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

const event = z.union([
  z
    .object({
      redeliver: z
        .object({ repo: z.string(), issue: z.number().int(), label: z.string() })
        .strict(),
      at: durationSchema.optional(),
    })
    .strict(),
  z.object({ "start-runner": runnerId, at }).strict(),
  z.object({ "kill-runner": runnerId, at }).strict(),
  z.object({ "restart-server": z.literal(true), at }).strict(),
  // Chaos: SIGKILL of the webhook server process, started again `down` later.
  z.object({ "kill-server": z.object({ down: durationSchema }).strict(), at }).strict(),
  // Chaos: the simulator's embedded PostgreSQL stopped, and started again `down` later.
  z
    .object({ "restart-postgres": z.object({ down: durationSchema.prefault("0s") }).strict(), at })
    .strict(),
  // Chaos: the `count` most recent deliveries redelivered all at once.
  z
    .object({
      "redeliver-storm": z.object({ count: z.number().int().positive().max(1000) }).strict(),
      at,
    })
    .strict(),
  z.object({ quiet: durationSchema, at }).strict(),
  z
    .object({
      commit: z
        .object({
          repo: z.string().regex(/^[^/]+\/[^/]+$/, "owner/name"),
          /** path -> new text, or null to delete it. */
          files: z.record(z.string(), z.string().nullable()),
          message: z.string().default("Update files"),
          by: z.string().default("maintainer"),
        })
        .strict(),
      at,
    })
    .strict(),
]);

export const scenarioSchema = z
  .object({
    version: z.union([z.literal(1), z.literal(2), z.literal(3)]).default(3),
    name: z.string().min(1),
    /** Default for `--speed`: every scenario and config duration is divided by it. */
    speed: z.number().positive().optional(),
    /** Settings of every runner process the simulator starts. */
    runner: z
      .object({
        leaseTtl: durationSchema.prefault("60s"),
        concurrency: z.number().int().min(1).max(256).default(4),
      })
      .strict()
      .prefault({}),
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
    faults,
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
    scenario.events.forEach((e, index) => {
      if ("commit" in e && !repos.has(e.commit.repo)) {
        ctx.addIssue({
          code: "custom",
          path: ["events", index, "commit", "repo"],
          message: `unknown repo ${e.commit.repo}`,
        });
      }
    });
    for (const problem of checkEventOrder(scenario)) {
      ctx.addIssue({ code: "custom", path: ["events", problem.index], message: problem.message });
    }
  });

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioIssue = Scenario["issues"][number];
export type ScenarioEvent = Scenario["events"][number];
export type AgentStep = z.infer<typeof agentStep>;
export type CiRule = z.infer<typeof ciRule>;

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

export function agentSteps(issue: ScenarioIssue): AgentStep[] {
  if (issue.agent === undefined) return [];
  return Array.isArray(issue.agent) ? issue.agent : [issue.agent];
}
