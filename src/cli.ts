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
    const database = await openDatabase(settings, log);
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

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`fleet: ${(error as Error).message ?? error}`);
  process.exit(1);
});
