import { fileURLToPath } from "node:url";
import { createLogger } from "../../src/log.js";
import type { IssueReport, SimulationReport } from "../../src/sim/report.js";
import { loadScenario } from "../../src/sim/scenario.js";
import { simulate } from "../../src/sim/simulate.js";
import { createTestDatabase } from "../support/db.js";

/**
 * Runs one scenario of test/e2e/scenarios through the simulator, on a fresh database of the
 * test cluster (runners are still their own processes). FLEET_SIM_KEEP=1 keeps its files;
 * LOG_LEVEL=warn shows the expected warnings too (a broken fleet.yml, a red build).
 */
export async function runScenario(name: string, speed?: number): Promise<SimulationReport> {
  const path = fileURLToPath(new URL(`./scenarios/${name}.yml`, import.meta.url));
  const database = await createTestDatabase();
  try {
    return await simulate(await loadScenario(path), {
      log: createLogger({ level: process.env.LOG_LEVEL ?? "error", destination: 2 }),
      databaseUrl: database.url,
      keepFiles: process.env.FLEET_SIM_KEEP === "1",
      ...(speed === undefined ? {} : { speed }),
    });
  } finally {
    await database.close();
  }
}

export function issueOf(report: SimulationReport, repo: string, number: number): IssueReport {
  const found = report.issues.find((i) => i.repo === repo && i.number === number);
  if (!found) throw new Error(`no report for ${repo}#${number}`);
  return found;
}

/** What a failing assertion should print: the report without the noise. */
export function brief(report: SimulationReport): string {
  return JSON.stringify(
    {
      settled: report.settled,
      totals: report.totals,
      anomalies: report.anomalies,
      issues: report.issues.map((i) => ({
        issue: `${i.repo}#${i.number}`,
        outcome: i.outcome,
        attempts: i.attempts,
        agents: i.agents,
      })),
    },
    null,
    1,
  );
}
