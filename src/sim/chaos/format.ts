import type { ChaosRun } from "./run.js";

/** How to play one seed again, as the user asked for it. */
export function repeatCommand(seed: number, options: { short?: boolean; speed?: number }): string {
  return [
    `npm run chaos -- --seed ${seed}`,
    options.short ? "--short" : "",
    options.speed ? `--speed ${options.speed}` : "",
  ]
    .filter(Boolean)
    .join(" ");
}

/** One line per run (the seed, what was injected, pass or fail), then what failed, if anything. */
export function formatRun(run: ChaosRun, repeat: string): string {
  const f = run.injected;
  const faults = f
    ? `runner kills ${f.runnerKills}, server kills ${f.serverKills}, postgres restarts ${f.postgresRestarts}, ` +
      `redelivery storms ${f.storms}, api faults ${f.apiFaults}, webhooks dropped ${f.webhooksDropped} delayed ${f.webhooksDelayed}`
    : `planned: runner kills ${run.planned.runnerKills}, server kills ${run.planned.serverKills}, ` +
      `postgres restarts ${run.planned.postgresRestarts}, redelivery storms ${run.planned.storms}`;
  const held = run.invariants.filter((i) => i.ok).length;
  const verdict = `${run.ok ? "pass" : "FAIL"} (invariants ${held}/${run.invariants.length})`;
  const line = `seed ${String(run.seed).padEnd(10)} ${verdict}  ${(run.wallTimeMs / 1000).toFixed(1)}s  ${faults}`;
  if (run.ok) return line;
  const broken = run.invariants
    .filter((i) => !i.ok)
    .flatMap((i) => [`  ✗ ${i.name}`, ...i.details.slice(0, 10).map((d) => `      ${d}`)]);
  const error = run.error ? [`  ✗ the simulation did not run to its end: ${run.error}`] : [];
  return [line, ...error, ...broken, `  repeat: ${repeat}`].join("\n");
}

export function formatSummary(runs: readonly ChaosRun[], repeat: (seed: number) => string): string {
  const failed = runs.filter((r) => !r.ok);
  const head = `chaos: ${runs.length} run(s), ${runs.length - failed.length} passed, ${failed.length} failed`;
  if (failed.length === 0) return `${head}; every invariant held`;
  return [head, ...failed.map((r) => `  seed ${r.seed}: ${repeat(r.seed)}`)].join("\n");
}
