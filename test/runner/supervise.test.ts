import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { type Clock, createClock } from "../../src/config/clock.js";
import { groupAlive, killProcessGroup } from "../../src/runner/agent-process.js";
import type { HeartbeatSource } from "../../src/runner/heartbeat.js";
import { isSameProcess } from "../../src/runner/proc-stat.js";
import { type SuperviseOptions, superviseAgent } from "../../src/runner/supervise.js";
import { tempDir } from "./support/temp-dir.js";
import { sh, testAgents } from "./support/test-agents.js";
import { waitFor } from "./support/wait-for.js";

const root = tempDir("fleet-supervise-");
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const fixtureFile = fileURLToPath(new URL("../fixtures/claude-stream.jsonl", import.meta.url));
const { start, track } = testAgents(root, 7);

// Real durations at clock speed 1, with wide margins over the agents' 100 ms heartbeat.
const STALL = 1000;
const TIMEOUT = 3000;
const GRACE = 300;
const clock = createClock(1);

const TOUCH_LOOP = 'while :; do touch "$FLEET_HEARTBEAT_FILE"; sleep 0.1; done';

function supervise(
  agent: { pid: number; startTime: bigint; attemptDir: string; startedAtMs: number },
  more: Partial<SuperviseOptions> = {},
) {
  const controller = new AbortController();
  const beats: number[] = [];
  const outcome = superviseAgent({
    pid: agent.pid,
    startTime: agent.startTime,
    attemptDir: agent.attemptDir,
    heartbeat: "files" as HeartbeatSource,
    startedAtMs: agent.startedAtMs,
    timeoutMs: TIMEOUT,
    stallTimeoutMs: STALL,
    killGraceMs: GRACE,
    clock,
    cancel: controller.signal,
    onHeartbeat: (at) => beats.push(at),
    ...more,
  });
  return { outcome, cancel: (why: string) => controller.abort(why), beats };
}

/** Spawns the agent from a separate node process that exits at once: we are not its parent. */
async function startElsewhere(name: string, script: string) {
  const attemptDir = join(root, name);
  const spawner = join(root, `${name}-spawner.mts`);
  writeFileSync(
    spawner,
    `import { buildAgentEnv, spawnAgent } from ${JSON.stringify(join(repoRoot, "src/runner/agent-process.ts"))};
const [attemptDir, workdir, script] = process.argv.slice(2);
const env = buildAgentEnv({ attemptDir, workdir, issueNumber: 9 });
const startedAtMs = Date.now();
const agent = await spawnAgent({ launch: { argv: ["sh", "-c", script] }, cwd: attemptDir, env, attemptDir });
process.stdout.write(JSON.stringify({ pid: agent.pid, startTime: String(agent.startTime), startedAtMs }));
process.exit(0);
`,
  );
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", spawner, attemptDir, root, script],
    { cwd: repoRoot, encoding: "utf8", timeout: 30_000 },
  );
  const parsed = JSON.parse(stdout) as { pid: number; startTime: string; startedAtMs: number };
  track(parsed.pid);
  return {
    pid: parsed.pid,
    startTime: BigInt(parsed.startTime),
    startedAtMs: parsed.startedAtMs,
    attemptDir,
  };
}

describe.concurrent("superviseAgent", () => {
  it("kills a hung agent at its stall timeout", async () => {
    const agent = await start("hung", sh("exec sleep 1000"));
    const { outcome, beats } = supervise(agent);
    const result = await outcome;
    const elapsed = Date.now() - agent.startedAtMs;
    expect(result).toMatchObject({ kind: "stalled", killedWith: "term" });
    if (result.kind !== "stalled") throw new Error("unreachable");
    expect(result.exit).toMatchObject({ code: null, signal: "SIGTERM" });
    expect(elapsed).toBeGreaterThanOrEqual(STALL);
    expect(elapsed).toBeLessThan(TIMEOUT);
    expect(beats).toEqual([]);
    expect(await groupAlive(agent.pid)).toBe(false);
  });

  it("lets a busy agent run past its stall timeout and kills it at the wall-clock timeout", async () => {
    const agent = await start("busy", sh(TOUCH_LOOP));
    const { outcome, beats } = supervise(agent, { heartbeatPollMs: 50 });
    const result = await outcome;
    expect(result).toMatchObject({ kind: "timed_out", killedWith: "term" });
    expect(Date.now() - agent.startedAtMs).toBeGreaterThanOrEqual(TIMEOUT);
    // beats kept coming all along, well past the stall timeout
    expect(beats.length).toBeGreaterThan(10);
    expect(Math.max(...beats) - agent.startedAtMs).toBeGreaterThan(TIMEOUT - STALL);
    expect(await groupAlive(agent.pid)).toBe(false);
  });

  it("KILLs an agent that ignores TERM", async () => {
    const agent = await start("trap", sh("trap '' TERM; while :; do sleep 0.05; done"));
    const result = await supervise(agent).outcome;
    expect(result).toMatchObject({ kind: "stalled", killedWith: "kill" });
    if (result.kind !== "stalled") throw new Error("unreachable");
    expect(result.exit.signal).toBe("SIGKILL");
    expect(await groupAlive(agent.pid)).toBe(false);
  });

  it("reports a heartbeating agent that finishes as exited with code 0", async () => {
    // lives 2.5 stall periods on heartbeats alone
    const agent = await start(
      "succeed",
      sh('i=0; while [ $i -lt 25 ]; do touch "$FLEET_HEARTBEAT_FILE"; sleep 0.1; i=$((i+1)); done'),
    );
    const { outcome, beats } = supervise(agent, { timeoutMs: 30_000 });
    const result = await outcome;
    expect(result).toMatchObject({ kind: "exited", exit: { code: 0, signal: null } });
    expect(Date.now() - agent.startedAtMs).toBeGreaterThan(STALL);
    expect(beats.length).toBeGreaterThan(0);
  });

  it("counts JSON lines in the events file as heartbeats", async () => {
    const agent = await start(
      "events",
      sh(
        'i=0; while [ $i -lt 25 ]; do echo "{\\"i\\":$i}" >> "$FLEET_EVENTS_FILE"; sleep 0.1; i=$((i+1)); done',
      ),
    );
    const result = await supervise(agent, { timeoutMs: 30_000 }).outcome;
    expect(result).toMatchObject({ kind: "exited", exit: { code: 0 } });
  });

  it("reports a crash as exited with its code", async () => {
    const agent = await start("crash", sh("exit 137"));
    const result = await supervise(agent).outcome;
    expect(result).toMatchObject({ kind: "exited", exit: { code: 137, signal: null } });
  });

  it("takes each stream-json line of a claude-code agent as a heartbeat", async () => {
    const agent = await start(
      "claude",
      sh(
        `for pass in 1 2; do while IFS= read -r line; do printf '%s\\n' "$line"; sleep 0.1; done < ${JSON.stringify(fixtureFile)}; done`,
      ),
    );
    const { outcome, beats } = supervise(agent, {
      heartbeat: "stream-json-stdout",
      timeoutMs: 30_000,
    });
    const result = await outcome;
    expect(result).toMatchObject({ kind: "exited", exit: { code: 0 } });
    expect(Date.now() - agent.startedAtMs).toBeGreaterThan(STALL);
    expect(beats.length).toBeGreaterThan(0);
  });

  it("does not take a claude-code agent's terminal text as a heartbeat", async () => {
    const agent = await start(
      "chatty",
      sh("while :; do echo 'Thinking... still working'; sleep 0.1; done"),
    );
    const result = await supervise(agent, { heartbeat: "stream-json-stdout" }).outcome;
    expect(result).toMatchObject({ kind: "stalled", killedWith: "term" });
  });

  it("kills the agent when the task is cancelled", async () => {
    const agent = await start("cancel", sh(`echo ready; ${TOUCH_LOOP}`));
    const { outcome, cancel } = supervise(agent);
    await waitFor("ready", () => agent.read("stdout.log").includes("ready"));
    cancel("cancelled");
    const result = await outcome;
    // TERM sufficed: no grace period was waited out (the 2 s cancel bound is measured by the sim).
    expect(result).toMatchObject({ kind: "cancelled", killedWith: "term" });
    expect(await groupAlive(agent.pid)).toBe(false);
  });

  it("releases the agent alive when the runner shuts down", async () => {
    const agent = await start("release", sh(`echo ready; ${TOUCH_LOOP}`));
    const release = new AbortController();
    const { outcome } = supervise(agent, { release: release.signal });
    await waitFor("ready", () => agent.read("stdout.log").includes("ready"));
    release.abort();
    expect(await outcome).toEqual({ kind: "released" });
    expect(await isSameProcess(agent.pid, agent.startTime)).toBe(true);
    expect(await killProcessGroup(agent.pid, { graceMs: 5000 })).toBe("term");
  });

  it("measures the timeout from the original start", async () => {
    const agent = await start("late", sh(TOUCH_LOOP));
    // an adopted attempt started long ago: 400 ms of its 10 s wall clock are left
    const startedAtMs = agent.startedAtMs - 9_600;
    const result = await supervise(
      { ...agent, startedAtMs },
      { lastHeartbeatAtMs: agent.startedAtMs, timeoutMs: 10_000 },
    ).outcome;
    expect(result).toMatchObject({ kind: "timed_out" });
    // counting from adoption would take the full 10 s
    expect(Date.now() - agent.startedAtMs).toBeLessThan(5_000);
  });

  it("supervises an agent it did not spawn, learning the exit from the exit file", async () => {
    const agent = await startElsewhere(
      "adopted",
      `while [ ! -f go ]; do touch "$FLEET_HEARTBEAT_FILE"; sleep 0.1; done; exit 3`,
    );
    expect(await isSameProcess(agent.pid, agent.startTime)).toBe(true);
    const { outcome, beats } = supervise(agent, { timeoutMs: 60_000 });
    await waitFor("a heartbeat", () => beats.length > 0);
    writeFileSync(join(agent.attemptDir, "go"), "");
    const result = await outcome;
    expect(result).toMatchObject({ kind: "exited", exit: { code: 3, signal: null } });
    if (result.kind !== "exited") throw new Error("unreachable");
    expect(result.exit.error).toBeUndefined(); // read from exit.json, not guessed
  });

  it("kills a stalled agent it did not spawn", async () => {
    const agent = await startElsewhere("adopted-hung", "exec sleep 1000");
    const result = await supervise(agent, { timeoutMs: 60_000 }).outcome;
    expect(result).toMatchObject({
      kind: "stalled",
      killedWith: "term",
      exit: { signal: "SIGTERM" },
    });
    expect(await groupAlive(agent.pid)).toBe(false);
  });

  it("keeps an adopted agent's stall deadline from its last recorded heartbeat", async () => {
    const agent = await start("stale", sh("exec sleep 1000"));
    // adopted after a restart: last heard of 9.9 s ago, with a 10 s stall timeout and a long
    // wall clock; counting from adoption instead would take 10 s
    const now = clock.now();
    const result = await supervise(
      { ...agent, startedAtMs: now - 10_000 },
      { lastHeartbeatAtMs: now - 9_900, stallTimeoutMs: 10_000, timeoutMs: 600_000 },
    ).outcome;
    expect(result).toMatchObject({ kind: "stalled" });
    expect(Date.now() - now).toBeLessThan(5_000);
  });

  it("renews the agent's lease while supervising, and stops on release", async () => {
    const ttl = 600;
    const lease = { file: join(root, "lease-renew.lease"), ttlMs: ttl, killGraceMs: 200 };
    const agent = await start(
      "lease-renew",
      sh(`while :; do echo tick; touch "$FLEET_HEARTBEAT_FILE"; sleep 0.1; done`),
      { lease },
    );
    const release = new AbortController();
    const { outcome } = supervise(agent, {
      lease,
      release: release.signal,
      timeoutMs: 60_000,
    });
    // alive for several lease periods because the supervisor renews it
    await waitFor("20 ticks", () => agent.read("stdout.log").split("tick").length > 20);
    expect(Date.now() - agent.startedAtMs).toBeGreaterThan(2 * ttl);
    expect(await isSameProcess(agent.pid, agent.startTime)).toBe(true);
    release.abort();
    expect(await outcome).toEqual({ kind: "released" });
    // nobody renews now: the wrapper's dead-man's switch ends the agent
    const exit = await agent.exit;
    expect(exit).toMatchObject({ reason: "lease-expired", signal: "SIGTERM" });
    expect(await groupAlive(agent.pid)).toBe(false);
  });

  it("uses the clock's speed for every duration", async () => {
    const fast: Clock = createClock(20);
    const agent = await start("fast", sh("exec sleep 1000"));
    // 20 s of configured stall is 1 s of real time at speed 20
    const result = await supervise(agent, {
      clock: fast,
      stallTimeoutMs: 20_000,
      timeoutMs: 600_000,
      killGraceMs: 5_000,
    }).outcome;
    expect(result).toMatchObject({ kind: "stalled" });
    const elapsed = Date.now() - agent.startedAtMs;
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(5000);
  });
});

describe("cancelling an agent that ignores TERM", () => {
  it("uses a short grace, not the full kill grace", async () => {
    const agent = await start("cancel-deaf", sh(`trap '' TERM; echo ready; ${TOUCH_LOOP}`));
    const { outcome, cancel } = supervise(agent, { killGraceMs: 60_000 });
    await waitFor("ready", () => agent.read("stdout.log").includes("ready"));
    const cancelledAt = Date.now();
    cancel("cancelled");
    expect(await outcome).toMatchObject({ kind: "cancelled", killedWith: "kill" });
    // with the configured 60 s grace this would take a minute
    expect(Date.now() - cancelledAt).toBeLessThan(30_000);
    expect(await groupAlive(agent.pid)).toBe(false);
  });
});
