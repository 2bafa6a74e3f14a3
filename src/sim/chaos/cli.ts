#!/usr/bin/env node
import { Command, InvalidArgumentError } from "commander";
import { stringify as toYaml } from "yaml";
import { formatElapsed, startProgress } from "../../cli/progress.js";
import { createLogger } from "../../log.js";
import { randomSeed } from "../prng.js";
import { formatRun, formatSummary, repeatCommand } from "./format.js";
import { FULL_SIZE, generateChaos, SHORT_SIZE } from "./generate.js";
import { type ChaosRun, runChaosSeed } from "./run.js";

interface ChaosOptions {
  seed?: number;
  runs: number;
  speed?: number;
  short?: boolean;
  json?: boolean;
  print?: boolean;
}

const integer = (min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
  }
  return n;
};

const positive = (value: string) => {
  const n = Number(value);
  if (!(n > 0)) throw new InvalidArgumentError("must be a positive number");
  return n;
};

/**
 * `npm run chaos`: plays nights drawn from seeds against the real fleet with faults injected, and
 * checks the invariants after each. Exit code 1 when any invariant broke in any run.
 */
async function main(options: ChaosOptions): Promise<number> {
  const seeds =
    options.seed === undefined ? Array.from({ length: options.runs }, randomSeed) : [options.seed];
  const size = options.short ? SHORT_SIZE : FULL_SIZE;
  const repeat = (seed: number) => repeatCommand(seed, options);
  if (options.print) {
    for (const seed of seeds)
      process.stdout.write(
        `${toYaml(generateChaos(seed, size).source, { lineWidth: 0, aliasDuplicateObjects: false })}\n`,
      );
    return 0;
  }
  // The seeds come first, so that an interrupted run can still be repeated.
  const say = (text: string) => (options.json ? process.stderr : process.stdout).write(`${text}\n`);
  say(
    `chaos: ${seeds.length} run(s), seeds ${seeds.join(", ")}; repeat one with: npm run chaos -- --seed N`,
  );
  // Chaos makes the fleet log plenty of expected trouble: quiet unless asked (LOG_LEVEL=warn).
  const log = createLogger({ level: process.env.LOG_LEVEL ?? "silent", destination: 2 });
  const runs: ChaosRun[] = [];
  for (const [index, seed] of seeds.entries()) {
    const progress = startProgress(
      (ms) => `chaos seed ${seed} (${index + 1}/${seeds.length}), ${formatElapsed(ms)} elapsed`,
    );
    const run = await runChaosSeed(seed, {
      log,
      size,
      keepFiles: process.env.FLEET_SIM_KEEP === "1",
      stopOnSignals: true,
      ...(options.speed ? { speed: options.speed } : {}),
    }).finally(() => progress.stop());
    runs.push(run);
    say(formatRun(run, repeat(seed)));
  }
  say(formatSummary(runs, repeat));
  if (options.json) {
    const out = runs.map(({ report, ...run }) => ({ ...run, repeat: repeat(run.seed), report }));
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  }
  return runs.every((r) => r.ok) ? 0 : 1;
}

const program = new Command()
  .name("chaos")
  .description("play nights drawn from seeds against the fleet, with faults, and check invariants")
  .option("--seed <n>", "play this one seed", integer(0, 4_294_967_295))
  .option("--runs <n>", "how many random seeds to play", integer(1, 1000), 5)
  .option("--speed <n>", "divide every duration by n (default: the drawn scenario's, 60)", positive)
  .option("--short", "the CI size: fewer issues, a shorter night, each kind of fault once")
  .option("--json", "print the runs and their reports as JSON on stdout")
  .option(
    "--print",
    "print each seed's scenario as YAML (for fleet simulate) instead of playing it",
  )
  .action(async (options: ChaosOptions) => {
    process.exitCode = await main(options);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`chaos: ${(error as Error).message ?? error}`);
  process.exit(1);
});
