import { writeFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import type { Clock } from "../config/clock.js";
import { DEFAULT_FLEET_CONFIG, parseFleetConfig } from "../config/fleet-config.js";
import { agentSteps, type Scenario } from "./scenario.js";

/**
 * Writes what the scripted agents read: where to journal, the witness socket, and per issue the
 * steps (one per attempt) with durations already scaled to real ms, and a heartbeat interval of a
 * tenth of the repo's scaled stall timeout.
 */
export async function writePlan(input: {
  planFile: string;
  journalFile: string;
  witnessPath: string;
  scenario: Scenario;
  clock: Clock;
}): Promise<void> {
  const { scenario, clock } = input;
  const stallByRepo = new Map(scenario.repos.map((r) => [r.slug, stallTimeoutOf(r.fleetConfig)]));
  const issues: Record<string, unknown> = {};
  for (const issue of scenario.issues) {
    const stall = clock.scale(
      stallByRepo.get(issue.repo) ?? DEFAULT_FLEET_CONFIG.agent.stallTimeout,
    );
    issues[`${issue.repo}#${issue.number}`] = {
      heartbeatMs: Math.round(Math.min(1000, Math.max(10, stall / 10))),
      steps: agentSteps(issue).map((step) => ({
        behavior: step.behavior,
        durationMs: Math.round(clock.scale(step.duration)),
        edit: Object.fromEntries(
          Object.entries(step.edit).map(([path, edit]) => [path, fileText(path, edit)]),
        ),
      })),
    };
  }
  const plan = { journal: input.journalFile, witness: input.witnessPath, issues };
  await writeFile(input.planFile, JSON.stringify(plan, null, 2));
}

function stallTimeoutOf(fleetConfig: string | undefined): number {
  if (fleetConfig === undefined) return DEFAULT_FLEET_CONFIG.agent.stallTimeout;
  const parsed = parseFleetConfig(parseYaml(fleetConfig));
  return parsed.ok ? parsed.config.agent.stallTimeout : DEFAULT_FLEET_CONFIG.agent.stallTimeout;
}

/** A large edit is spelled `{ lines: n }`: n distinct lines, so every one counts in a diff. */
function fileText(path: string, edit: string | { lines: number }): string {
  if (typeof edit === "string") return edit;
  return Array.from({ length: edit.lines }, (_, i) => `// ${path} line ${i + 1}\n`).join("");
}
