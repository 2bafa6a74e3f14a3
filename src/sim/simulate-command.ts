import { formatElapsed, startProgress } from "../cli/progress.js";
import { createLogger } from "../log.js";
import { formatReport } from "./report.js";
import { loadScenario, type Scenario } from "./scenario.js";
import { simulate } from "./simulate.js";
import { buildTimeline } from "./timeline.js";

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
  const progress = startProgress((ms) => simulationProgressText(scenario, options.speed, ms));
  const report = await simulate(scenario, {
    log,
    keepFiles: process.env.FLEET_SIM_KEEP === "1",
    stopOnSignals: true,
    ...(options.speed ? { speed: options.speed } : {}),
  }).finally(() => progress.stop());
  process.stdout.write(
    options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`,
  );
  if (report.githubApiCalls.invalid > 0) return 2;
  return report.settled ? 0 : 3;
}

/** The spinner's line while a simulation runs (on a terminal only): what runs, and for how long. */
export function simulationProgressText(
  scenario: Scenario,
  speed: number | undefined,
  elapsedMs: number,
): string {
  const factor = speed ?? scenario.speed ?? 1;
  const spanMs = (buildTimeline(scenario).at(-1)?.at ?? 0) / factor;
  const repos = scenario.repos.length;
  return (
    `simulating ${scenario.name}: ${scenario.issues.length} issues in ${repos} ${repos === 1 ? "repo" : "repos"}, ` +
    `timeline ${formatElapsed(spanMs)} at speed ${factor}, ${formatElapsed(elapsedMs)} elapsed`
  );
}
