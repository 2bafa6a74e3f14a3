#!/usr/bin/env node
import { Command, InvalidArgumentError } from "commander";
import { loadEnvFile } from "./config/env-file.js";
import { loadSettings } from "./config/settings.js";
import { type FleetMode, openDatabase, startFleet } from "./fleet.js";
import { createLogger } from "./log.js";

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!(n > 0)) throw new InvalidArgumentError("must be a positive number");
  return n;
}

/** Runs until SIGINT/SIGTERM, then shuts down cleanly; a second signal forces the exit. */
async function serve(mode: FleetMode, options: { drain?: boolean }) {
  const settings = loadSettings();
  const log = createLogger({ level: settings.logLevel });
  const fleet = await startFleet(mode, settings, log);
  let stoppingSince: number | undefined;
  const shutdown = async (signal: string) => {
    if (stoppingSince !== undefined) {
      // A wrapper (npm, tsx) relays the terminal's Ctrl-C, so one key press can arrive twice.
      if (Date.now() - stoppingSince < 1_000) return;
      log.warn({ signal }, "second signal; exiting now");
      process.exit(1);
    }
    stoppingSince = Date.now();
    log.info({ signal, drain: Boolean(options.drain) }, "shutting down");
    try {
      await fleet.stop({ drain: Boolean(options.drain) });
      process.exit(0);
    } catch (error) {
      log.error({ err: error }, "shutdown failed");
      process.exit(1);
    }
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

loadEnvFile();

const program = new Command()
  .name("fleet")
  .description("agent-fleet: a GitHub App that runs coding agents through a repository's backlog");

program
  .command("start")
  .description("run the webhook server and a runner in one process")
  .action(() => serve("all", {}));

program
  .command("server")
  .description("run only the webhook server (stateless; run as many as you like)")
  .action(() => serve("server", {}));

program
  .command("runner")
  .description("run only a runner (one per host)")
  .option("--drain", "on SIGTERM, wait for running agents to finish before exiting")
  .action((options: { drain?: boolean }) => serve("runner", options));

program
  .command("migrate")
  .description("apply database migrations and exit")
  .action(async () => {
    const settings = loadSettings();
    const log = createLogger({ level: settings.logLevel });
    const database = await openDatabase(settings, log);
    await database.close();
    log.info("migrations applied");
  });

program
  .command("status")
  .description("tasks by state, running agents, runners and their leases, paused repos")
  .option("--json", "print the status as JSON")
  .action(async (options: { json?: boolean }) => {
    const settings = loadSettings();
    const log = createLogger({ level: settings.logLevel, destination: 2 });
    const database = await openDatabase(settings, log, { share: true });
    try {
      const { collectStatus, formatStatus } = await import("./status/fleet-status.js");
      const status = await collectStatus(database.db);
      process.stdout.write(
        options.json ? `${JSON.stringify(status, null, 2)}\n` : `${formatStatus(status)}\n`,
      );
    } finally {
      await database.close();
    }
  });

program
  .command("report")
  .description("the morning report: wake-ups, dispatches, merges, failures by cause, cost")
  .option("--since <duration>", "how far back to look, like 12h or 30m", "12h")
  .option("--markdown", "print the report as markdown")
  .option("--json", "print the report as JSON")
  .action(async (options: { since: string; markdown?: boolean; json?: boolean }) => {
    const { parseDuration } = await import("./config/durations.js");
    const sinceMs = parseDuration(options.since);
    const settings = loadSettings();
    const log = createLogger({ level: settings.logLevel, destination: 2 });
    const database = await openDatabase(settings, log, { share: true });
    try {
      const { collectReport } = await import("./report/collect.js");
      const { formatReportMarkdown, formatReportText } = await import("./report/format.js");
      const { systemClock } = await import("./config/clock.js");
      const to = new Date(systemClock.now());
      const report = await collectReport(database.db, {
        from: new Date(to.getTime() - sinceMs),
        to,
      });
      const text = options.json
        ? JSON.stringify(report, null, 2)
        : options.markdown
          ? formatReportMarkdown(report).trimEnd()
          : formatReportText(report);
      process.stdout.write(`${text}\n`);
    } finally {
      await database.close();
    }
  });

const config = program.command("config").description("the .github/fleet.yml schema");

config
  .command("schema")
  .description("print the JSON Schema of .github/fleet.yml, for editors")
  .action(async () => {
    const { fleetConfigJsonSchema } = await import("./config/fleet-config-file.js");
    process.stdout.write(`${JSON.stringify(fleetConfigJsonSchema(), null, 2)}\n`);
  });

config
  .command("validate")
  .description("check a fleet.yml; prints each problem with its key path and line")
  .argument("<file>", "path to a fleet.yml")
  .action(async (file: string) => {
    const { readFile } = await import("node:fs/promises");
    const { checkFleetConfigText, formatLocatedErrors } = await import(
      "./config/fleet-config-file.js"
    );
    const result = checkFleetConfigText(await readFile(file, "utf8"));
    if (result.ok) {
      process.stdout.write(`${file}: valid\n`);
      return;
    }
    process.stderr.write(`${formatLocatedErrors(file, result.errors)}\n`);
    process.exitCode = 1;
  });

config
  .command("docs")
  .description("print the fleet.yml reference as markdown (committed as docs/fleet-yml.md)")
  .action(async () => {
    const { fleetConfigMarkdown } = await import("./config/fleet-config-docs.js");
    process.stdout.write(fleetConfigMarkdown());
  });

program
  .command("simulate")
  .description("run a scenario against the GitHub emulator on a fresh embedded database")
  .argument("<scenario>", "path to a scenario YAML file")
  .option("--json", "print the report as JSON")
  .option("--speed <n>", "divide every scenario and config duration by n", positiveNumber)
  .action(async (scenarioPath: string, options: { json?: boolean; speed?: number }) => {
    const { runSimulationCommand } = await import("./sim/simulate-command.js");
    process.exitCode = await runSimulationCommand(scenarioPath, options);
  });

const levers = [
  ["retry", "<owner/repo#n>", "queue the issue's failed task again with a fresh attempt budget"],
  [
    "cancel",
    "<owner/repo#n>",
    "cancel the issue's task; a running agent is stopped, an open PR stays open",
  ],
  ["resume", "<owner/repo>", "resume a repository paused by a red default branch"],
] as const;
for (const [lever, target, description] of levers) {
  program
    .command(lever)
    .description(`${description} (as the /fleet ${lever} comment does)`)
    .argument(
      target,
      lever === "resume" ? "the repository" : "the issue, or the PR the fleet opened",
    )
    .addHelpText(
      "after",
      "\nExit codes: 0 done, 1 the lever does not apply, 2 a malformed reference.\n",
    )
    .action(async (ref: string) => {
      const { runLeverCommand } = await import("./cli/levers-command.js");
      process.exitCode = await runLeverCommand(lever, ref);
    });
}

program
  .command("doctor")
  .description(
    "check this host: database, migrations, GitHub App, webhook secret, agents, disk, git",
  )
  .option("--json", "print the checks as JSON")
  .option("--config <fleet.yml>", "a repository's fleet.yml: its agent adapter becomes required")
  .option(
    "--min-free-gib <n>",
    "warn below this much free disk for FLEET_DATA_DIR (default 5)",
    positiveNumber,
  )
  .addHelpText("after", "\nExit code 1 when a required check fails; warnings do not fail.\n")
  .action(async (options: { json?: boolean; config?: string; minFreeGib?: number }) => {
    const { runDoctorCommand } = await import("./cli/doctor-command.js");
    process.exitCode = await runDoctorCommand(options);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`fleet: ${(error as Error).message ?? error}`);
  process.exit(1);
});
