import { createLogger } from "../log.js";
import { formatReport } from "./report.js";
import { loadScenario } from "./scenario.js";
import { simulate } from "./simulate.js";

/** `fleet simulate <scenario> [--json] [--speed N]`; returns the process exit code. */
export async function runSimulationCommand(
  scenarioPath: string,
  options: { json?: boolean; speed?: number },
): Promise<number> {
  const scenario = await loadScenario(scenarioPath);
  // Logs go to stderr so that --json output on stdout stays parseable.
  const log = createLogger({ level: process.env.LOG_LEVEL ?? "warn", destination: 2 });
  const report = await simulate(scenario, {
    log,
    ...(options.speed ? { speed: options.speed } : {}),
  });
  process.stdout.write(
    options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`,
  );
  return report.githubApiCalls.invalid > 0 ? 2 : 0;
}
