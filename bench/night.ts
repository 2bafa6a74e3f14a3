/**
 * The night that motivated the project, replayed: runs `fleet simulate` on
 * examples/scenarios/overnight.yml and sets its report beside the figures of the original night
 * (a scheduler polling every few minutes, one agent per issue in a terminal pane, a supervisor
 * reading terminal output; 7.5 hours against a GitHub backlog).
 *
 *   npx tsx bench/night.ts [--speed 60] [--scenario examples/scenarios/overnight.yml]
 *                          [--save report.json]
 *
 * About two to three minutes at speed 60 on two cores. The replay's durations are simulated
 * time (real time x speed).
 */
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { textTable } from "../src/cli/text-table.js";
import type { SimulationReport } from "../src/sim/report.js";
import { printMachine } from "./machine.js";

const { values: args } = parseArgs({
  options: {
    speed: { type: "string", default: "60" },
    scenario: { type: "string", default: "examples/scenarios/overnight.yml" },
    /** Keeps the simulator's whole JSON report, for reading past the table. */
    save: { type: "string" },
  },
});
const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The original night, as it was reported. */
const NIGHT = {
  hours: 7.5,
  cycles: 686,
  idleShare: 0.945,
  issues: 54,
  dispatches: 103,
  merged: 11,
  flagged: 9,
  stalls: 8,
  longestRunHours: 6,
};

async function main(): Promise<void> {
  await printMachine();
  console.log(`replaying ${args.scenario} at speed ${args.speed}...`);
  const started = performance.now();
  const { code, stdout } = await simulate();
  const wallSeconds = (performance.now() - started) / 1000;
  const report = JSON.parse(stdout) as SimulationReport;
  if (args.save) await writeFile(args.save, stdout);
  console.log(
    `done in ${wallSeconds.toFixed(0)} s (exit ${code}, ${report.settled ? "settled" : "NOT settled"})\n`,
  );
  console.log(textTable(["", "the original night", "the replay"], rows(report)));
  console.log(
    "\nThe replay's dispatches include its legitimate retries (a stalled, crashed or timed-out attempt is retried on purpose); duplicates are dispatches of an issue that already had a live agent.",
  );
  if (code !== 0) process.exitCode = code ?? 1;
}

function rows(r: SimulationReport): string[][] {
  const t = r.totals;
  const idleNightPer10Min = (NIGHT.cycles * NIGHT.idleShare) / ((NIGHT.hours * 60) / 10);
  const idle = r.idle[0];
  const idleMinutes = idle ? (idle.to - idle.from) / 60_000 : 0;
  const decisions = new Map<string, number>();
  for (const issue of r.issues) {
    if (issue.decision) decisions.set(issue.decision, (decisions.get(issue.decision) ?? 0) + 1);
  }
  const outage = r.runnerOutages[0];
  return [
    [
      "work found by",
      `${NIGHT.cycles} orchestration cycles, ${(NIGHT.idleShare * 100).toFixed(1)} % of them idle polls of an empty queue`,
      "webhooks and LISTEN/NOTIFY; a fallback sweep backing off to 5 min",
    ],
    [
      "idle cost per 10 quiet minutes",
      `about ${idleNightPer10Min.toFixed(1)} idle polls`,
      idle
        ? `${per10(idle.wakeups, idleMinutes)} wake-ups, ${per10(idle.claimQueries, idleMinutes)} claim queries, ${per10(idle.githubApiCalls, idleMinutes)} GitHub calls (${idleMinutes.toFixed(0)} min measured)`
        : "no quiet period in this scenario",
    ],
    [
      "issues pulled / dispatches",
      `${NIGHT.issues} / ${NIGHT.dispatches}: a race let two cycles grab the same issue`,
      `${t.issues} / ${t.dispatches}, of them ${t.duplicateDispatches} duplicates`,
    ],
    [
      "PRs merged / flagged for review",
      `${NIGHT.merged} / ${NIGHT.flagged}`,
      `${t.merged} / ${t.flagged} (${t.prsOpened} PRs opened, ${t.noChanges} issues needed no change)`,
    ],
    [
      "stalled agents",
      `${NIGHT.stalls}, found by watching terminal output`,
      `${t.stalled} stalled (no heartbeat), ${t.crashed} crashed, ${t.timedOut} timed out; ${t.killedHealthy} healthy agents killed`,
    ],
    [
      "longest run of one agent",
      `more than ${NIGHT.longestRunHours} h, no wall-clock limit`,
      `${(r.maxAttemptRuntimeMs / 60_000).toFixed(0)} min (30 min wall-clock limit)`,
    ],
    [
      "merge gates",
      "a green test suite only",
      `policy decisions ${[...decisions].map(([d, n]) => `${d} ${n}`).join(", ") || "none"}; ${t.reverted} reverted; ${r.badCommitsOnDefault} unreverted bad commits on default branches`,
    ],
    [
      "runner restart",
      "reconciliation killed every running agent; in-flight work lost",
      outage
        ? `runner killed at ${minutes(outage.killedAt)}, back at ${outage.backAt === null ? "never" : minutes(outage.backAt)}: ${t.adopted} agents adopted, ${t.lost} attempts lost, ${t.killedHealthy} healthy agents killed`
        : "no restart in this scenario",
    ],
    [
      "left behind",
      "-",
      `${r.orphanProcesses} orphan agents, ${r.leakedWorktrees} leaked worktrees, ${r.githubApiCalls.invalid} invalid GitHub calls`,
    ],
  ];
}

const per10 = (count: number, minutesMeasured: number) =>
  minutesMeasured > 0 ? ((count / minutesMeasured) * 10).toFixed(1) : "-";
const minutes = (simulatedMs: number) => `${(simulatedMs / 60_000).toFixed(1)} min`;

function simulate(): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["bin/fleet.js", "simulate", args.scenario, "--speed", args.speed, "--json"],
      { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "inherit"] },
    );
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout: Buffer.concat(chunks).toString("utf8") }));
  });
}

await main();
