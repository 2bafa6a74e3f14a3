import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createClock } from "../../src/config/clock.js";
import { getAdapter } from "../../src/runner/adapters/index.js";
import { groupAlive } from "../../src/runner/agent-process.js";
import { superviseAgent } from "../../src/runner/supervise.js";
import { useTestDatabase } from "../support/db.js";
import { attemptHarness } from "./support/attempt-harness.js";
import { gitRemote } from "./support/git-remote.js";
import { tempDir } from "./support/temp-dir.js";
import { testAgents } from "./support/test-agents.js";

const root = tempDir("fleet-aider-");
const bin = join(root, "bin");
const argvLog = join(root, "aider-argv.txt");
const STALL = 1000;

/**
 * A stand-in named `aider`, found on PATH like the real one. It never touches the heartbeat
 * file: it prints a line every 150 ms for 2.2 s, over twice the stall timeout, and edits the
 * worktree the way aider does (an edit plus its repo-map cache). A prompt saying "silent" makes
 * it print nothing at all instead.
 */
const STAND_IN = `#!/bin/sh
printf '%s\\n' "$@" > '${argvLog}'
while [ "$#" -gt 0 ]; do
  if [ "$1" = "--message-file" ]; then message="$2"; fi
  shift
done
if grep -q silent "$message"; then exec sleep 30; fi
mkdir -p .aider.tags.cache.v4 && echo cache > .aider.tags.cache.v4/cache.db
i=0
while [ $i -lt 15 ]; do
  echo "Applied edit $i to README.md"
  sleep 0.15
  i=$((i+1))
done
printf '# API!\\n' > README.md
echo "litellm warning: no cost map for this model" >&2
`;

mkdirSync(bin);
writeFileSync(join(bin, "aider"), STAND_IN);
chmodSync(join(bin, "aider"), 0o755);
// The agent's PATH is the runner's: the stand-in is found exactly as a real aider would be.
process.env.PATH = `${bin}:${process.env.PATH ?? ""}`;

describe("aider: output is the heartbeat", () => {
  const { start } = testAgents(join(root, "agents"), 4);

  async function runAider(name: string, prompt: string) {
    const dir = join(root, "agents", name);
    mkdirSync(dir, { recursive: true });
    const promptFile = join(dir, "prompt.md");
    writeFileSync(promptFile, prompt);
    const launch = getAdapter("aider").launch({
      promptFile,
      issueNumber: 4,
      repoFullName: "acme/api",
      workdir: dir,
      attemptDir: dir,
      settings: undefined,
    });
    const agent = await start(name, launch);
    const beats: number[] = [];
    const outcome = await superviseAgent({
      pid: agent.pid,
      startTime: agent.startTime,
      attemptDir: agent.attemptDir,
      heartbeat: getAdapter("aider").heartbeat,
      startedAtMs: agent.startedAtMs,
      timeoutMs: 20_000,
      stallTimeoutMs: STALL,
      killGraceMs: 300,
      clock: createClock(1),
      cancel: new AbortController().signal,
      heartbeatPollMs: 50,
      onHeartbeat: (at) => beats.push(at),
    });
    return { agent, outcome, beats };
  }

  it("keeps a talkative aider alive past its stall timeout, its output still in the log", async () => {
    const { agent, outcome, beats } = await runAider("talkative", "Make the README shout.");
    expect(outcome).toMatchObject({ kind: "exited", exit: { code: 0, signal: null } });
    expect(Date.now() - agent.startedAtMs).toBeGreaterThan(2 * STALL);
    // the wrapper touched the heartbeat file as the output came, all through the run
    expect(existsSync(join(agent.attemptDir, "heartbeat"))).toBe(true);
    expect(beats.length).toBeGreaterThan(5);
    expect(Math.max(...beats) - agent.startedAtMs).toBeGreaterThan(STALL);
    // relayed, not swallowed: every line reached the attempt's log files
    const stdout = agent.read("stdout.log").trim().split("\n");
    expect(stdout).toHaveLength(15);
    expect(stdout.at(-1)).toBe("Applied edit 14 to README.md");
    expect(agent.read("stderr.log")).toContain("litellm warning");
    const argv = readFileSync(argvLog, "utf8").split("\n");
    expect(argv.slice(0, 3)).toEqual([
      "--message-file",
      join(agent.attemptDir, "prompt.md"),
      "--yes-always",
    ]);
    expect(argv).toContain("--no-pretty");
  });

  it("stalls a silent aider: nothing else counts as its heartbeat", async () => {
    const { agent, outcome, beats } = await runAider("silent", "Stay silent.");
    expect(outcome).toMatchObject({ kind: "stalled", killedWith: "term" });
    expect(beats).toEqual([]);
    expect(existsSync(join(agent.attemptDir, "heartbeat"))).toBe(false);
    expect(await groupAlive(agent.pid)).toBe(false);
  });
});

describe("aider: a whole attempt", () => {
  const database = useTestDatabase();

  it("opens the PR without aider's cache and keeps its plain-text output as the log tail", async () => {
    const { db } = database;
    await db.execute(sql`truncate tasks, attempts, events cascade`);
    const harness = attemptHarness({ db: () => db, dataDir: join(root, "data") });
    const repo = gitRemote(root, "acme/aider");
    await harness.queue(repo, { agent: { adapter: "aider", stallTimeout: "1s" } });
    const { task, calls, attempts } = await harness.claimAndRun();

    expect(task.state).toBe("pr_open");
    expect(calls.pulls).toHaveLength(1);
    expect(calls.pulls[0]?.body).toContain("- `README.md`");
    const pushed = repo.sha(`refs/heads/${task.branch}`);
    expect(repo.show(pushed, "README.md")).toBe("# API!");
    // the repo-map cache was scratch: only the edit reached the branch
    const files = repo
      .show(pushed, "")
      .split("\n")
      .filter((f) => f !== "");
    expect(files.some((f) => f.startsWith(".aider"))).toBe(false);
    expect(attempts).toHaveLength(1);
    const [attempt] = attempts;
    expect(attempt).toMatchObject({ outcome: "succeeded", costUsd: null, turns: null });
    const tail = attempt?.logTail ?? "";
    expect(tail).toContain("[stdout.log]\n");
    expect(tail).toContain("Applied edit 14 to README.md");
    expect(tail).toContain("[stderr.log]\nlitellm warning: no cost map for this model");
    expect(tail.split("\n").length).toBeLessThanOrEqual(42);
  });
});
