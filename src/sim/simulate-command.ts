import { createLogger } from "../log.js";
import { formatReport } from "./report.js";
import { loadScenario } from "./scenario.js";
import { simulate } from "./simulate.js";

/**
 * `fleet simulate <scenario> [--json] [--speed N]`; returns the process exit code: 2 for invalid
 * GitHub API calls, 3 when the fleet did not settle. FLEET_SIM_KEEP=1 keeps the simulation's
 * files (runner logs, agent journal, attempt folders) and logs where they are.
 */
export async function runSimulationCommand(
  scenarioPath: string,
  options: { json?: boolean; speed?: number },
): Promise<number> {
  const scenario = await loadScenario(scenarioPath);
  // Logs go to stderr so that --json output on stdout stays parseable.
  const log = createLogger({ level: process.env.LOG_LEVEL ?? "warn", destination: 2 });
  const report = await simulate(scenario, {
    log,
    keepFiles: process.env.FLEET_SIM_KEEP === "1",
    ...(options.speed ? { speed: options.speed } : {}),
  });
  process.stdout.write(
    options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`,
  );
  if (report.githubApiCalls.invalid > 0) return 2;
  return report.settled ? 0 : 3;
}
