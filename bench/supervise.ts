/**
 * The runner's cost of supervising 200 live agents: each sleeps and touches its heartbeat file
 * once a second, with stall and wall-clock limits far away so none is killed. Prints the runner's
 * CPU time (user + system) and RSS over the window, then kills every agent and checks that no
 * process is left.
 *
 *   npx tsx bench/supervise.ts [agents=200] [seconds=30]
 *
 * Per agent, against the targets (at most 2 MB of RSS and 0.5 % of one core each): the runner
 * process's whole RSS and CPU divided by the agents, and the same with each agent's wrapper
 * (the small node process the runner puts between itself and the agent) counted in.
 */
import { setMaxListeners } from "node:events";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClock } from "../src/config/clock.js";
import {
  buildAgentEnv,
  groupAlive,
  type SpawnedAgent,
  spawnAgent,
} from "../src/runner/agent-process.js";
import { sharedTimerCount } from "../src/runner/heartbeat.js";
import { type SupervisionOutcome, superviseAgent } from "../src/runner/supervise.js";
import { printMachine } from "./machine.js";

const AGENTS = Number(process.argv[2] ?? 200);
const SECONDS = Number(process.argv[3] ?? 30);
const SPAWN_BATCH = 8;
const LEASE_TTL_MS = 60_000;
// `: >` updates the mtime without forking, so the 200 agents cost the host one `sleep` each a second
const HEARTBEAT_LOOP = 'while :; do : > "$FLEET_HEARTBEAT_FILE"; sleep 1; done';

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const TARGET_RSS_MB_PER_AGENT = 2;
const TARGET_CORE_PERCENT_PER_AGENT = 0.5;
/** USER_HZ, 100 on Linux everywhere that matters. */
const CLOCK_TICKS_PER_SECOND = 100;

async function main(): Promise<void> {
  await printMachine();
  const root = await mkdtemp(join(tmpdir(), "fleet-bench-supervise-"));
  const clock = createClock(1);
  const cancel = new AbortController();
  setMaxListeners(0, cancel.signal); // one signal shared by every supervisor here
  const agents: SpawnedAgent[] = [];
  const outcomes: Promise<SupervisionOutcome>[] = [];
  let beats = 0;
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      for (const agent of agents) killQuietly(agent.pid);
      process.exit(130);
    });
  }
  try {
    const baselineRss = process.memoryUsage().rss;
    const spawnStart = performance.now();
    for (let first = 0; first < AGENTS; first += SPAWN_BATCH) {
      const batch = Array.from({ length: Math.min(SPAWN_BATCH, AGENTS - first) }, (_, i) =>
        startOne(root, first + i),
      );
      const started = await Promise.all(batch);
      // spawnAgent resolves without touching the event loop: let timers (lease renewals) run
      await new Promise((resolve) => setImmediate(resolve));
      for (const { agent, attemptDir, startedAtMs } of started) {
        agents.push(agent);
        outcomes.push(
          superviseAgent({
            pid: agent.pid,
            startTime: agent.startTime,
            attemptDir,
            exit: agent.exit,
            heartbeat: "files",
            startedAtMs,
            timeoutMs: 3_600_000,
            stallTimeoutMs: 300_000,
            killGraceMs: 10_000,
            clock,
            cancel: cancel.signal,
            lease: { file: join(attemptDir, "lease"), ttlMs: LEASE_TTL_MS },
            onHeartbeat: () => {
              beats++;
            },
          }),
        );
      }
    }
    const spawnMs = performance.now() - spawnStart;
    console.log(
      `spawned ${AGENTS} agents in ${(spawnMs / 1000).toFixed(1)} s; measuring ${SECONDS} s`,
    );

    // Measure from a settled state: every agent has heartbeated at least once.
    await until(() => beats >= AGENTS, 30_000);
    const beatsBefore = beats;
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 1000);
    const wrapperTicks0 = agents.reduce((sum, a) => sum + cpuTicks(a.pid), 0);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - t0;
    const wrapperTicks = agents.reduce((sum, a) => sum + cpuTicks(a.pid), 0) - wrapperTicks0;
    clearInterval(sampler);
    const endRss = process.memoryUsage().rss;
    peakRss = Math.max(peakRss, endRss);
    const wrapperRss = agents.reduce((sum, a) => sum + memory(a.pid).rss, 0);
    const wrapperPrivate = agents.reduce((sum, a) => sum + memory(a.pid).private, 0);

    const cpuMs = (cpu.user + cpu.system) / 1000;
    const windowBeats = beats - beatsBefore;
    const rssPerAgentMb = endRss / AGENTS / 1024 / 1024;
    const corePercentPerAgent = ((cpuMs / wallMs) * 100) / AGENTS;
    const wrapperCpuMs = (wrapperTicks * 1000) / CLOCK_TICKS_PER_SECOND;
    const wrapperCorePercentPerAgent = ((wrapperCpuMs / wallMs) * 100) / AGENTS;
    const withWrapperMb = rssPerAgentMb + wrapperPrivate / AGENTS / 1024 / 1024;
    console.log(
      JSON.stringify(
        {
          agents: AGENTS,
          windowSeconds: +(wallMs / 1000).toFixed(1),
          runnerCpuMs: +cpuMs.toFixed(1),
          runnerCpuUserMs: +(cpu.user / 1000).toFixed(1),
          runnerCpuSystemMs: +(cpu.system / 1000).toFixed(1),
          runnerCpuPercentOfOneCore: +((cpuMs / wallMs) * 100).toFixed(2),
          cpuMsPerAgentPerMinute: +((cpuMs / AGENTS) * (60_000 / wallMs)).toFixed(2),
          runnerRssPeakMb: +mb(peakRss),
          runnerRssEndMb: +mb(endRss),
          runnerRssBaselineMb: +mb(baselineRss),
          runnerRssPerAgentKb: +(endRss / AGENTS / 1024).toFixed(1),
          runnerRssGrowthPerAgentKb: +((endRss - baselineRss) / AGENTS / 1024).toFixed(1),
          runnerCorePercentPerAgent: +corePercentPerAgent.toFixed(4),
          heartbeatsSeen: windowBeats,
          heartbeatsPerAgentPerSecond: +(windowBeats / AGENTS / (wallMs / 1000)).toFixed(2),
          sharedScanTimers: sharedTimerCount(),
          // agent side, for scale: each agent has a node wrapper (RSS counts shared pages)
          wrapperRssPerAgentMb: +mb(wrapperRss / AGENTS),
          wrapperPrivatePerAgentMb: +mb(wrapperPrivate / AGENTS),
          wrapperPrivateTotalMb: +mb(wrapperPrivate),
          wrapperCpuMs: +wrapperCpuMs.toFixed(0),
          wrapperCorePercentPerAgent: +wrapperCorePercentPerAgent.toFixed(4),
        },
        null,
        2,
      ),
    );
    const verdict = (mb: number, core: number) =>
      `${(mb * 1024).toFixed(0)} KB RSS (${mb <= TARGET_RSS_MB_PER_AGENT ? "met" : "not met"}), ` +
      `${core.toFixed(4)} % of one core (${core <= TARGET_CORE_PERCENT_PER_AGENT ? "met" : "not met"})`;
    console.log(
      `\nper supervised agent, targets <= ${TARGET_RSS_MB_PER_AGENT} MB and <= ${TARGET_CORE_PERCENT_PER_AGENT} % of one core:\n` +
        `  runner process (whole RSS / agents, an upper bound): ${verdict(rssPerAgentMb, corePercentPerAgent)}; its RSS grew ${((endRss - baselineRss) / AGENTS / 1024).toFixed(0)} KB per agent since before the first spawn\n` +
        `  with each agent's wrapper (private memory): ${verdict(withWrapperMb, corePercentPerAgent + wrapperCorePercentPerAgent)}\n`,
    );

    const killStart = performance.now();
    cancel.abort("bench over");
    const results = await Promise.all(outcomes);
    const kinds = new Map<string, number>();
    for (const r of results) {
      const key =
        r.kind === "exited" || r.kind === "released" ? r.kind : `${r.kind}/${r.killedWith}`;
      kinds.set(key, (kinds.get(key) ?? 0) + 1);
    }
    const early = results.find((r) => r.kind === "exited");
    if (early) console.log("an agent ended on its own:", early);
    console.log(
      `stopped all in ${((performance.now() - killStart) / 1000).toFixed(1)} s:`,
      Object.fromEntries(kinds),
    );
  } finally {
    cancel.abort("bench over");
    let left = 0;
    for (const agent of agents) {
      if (await groupAlive(agent.pid)) {
        left++;
        killQuietly(agent.pid);
      }
    }
    console.log(`agent process groups left alive: ${left}`);
    await rm(root, { recursive: true, force: true });
    if (left > 0) process.exitCode = 1;
  }
}

function killQuietly(pgid: number): void {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {}
}

async function startOne(root: string, i: number) {
  const attemptDir = join(root, `attempt-${i}`);
  const env = buildAgentEnv({ attemptDir, workdir: attemptDir, issueNumber: i + 1 });
  const startedAtMs = Date.now();
  const agent = await spawnAgent({
    launch: { argv: ["sh", "-c", HEARTBEAT_LOOP] },
    cwd: attemptDir,
    env,
    attemptDir,
    lease: { file: join(attemptDir, "lease"), ttlMs: LEASE_TTL_MS },
  });
  return { agent, attemptDir, startedAtMs };
}

/** utime + stime of one process, in clock ticks (fields 14 and 15 of /proc/<pid>/stat). */
function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** Resident and private (unshared) memory of one process, in bytes; 0 when it is gone. */
function memory(pid: number): { rss: number; private: number } {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0);
    return { rss: kb("Rss") * 1024, private: (kb("Private_Clean") + kb("Private_Dirty")) * 1024 };
  } catch {
    return { rss: 0, private: 0 };
  }
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("agents did not all heartbeat in time");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

await main();
