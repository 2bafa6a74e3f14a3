import { execFileSync, spawn } from "node:child_process";
import { readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  buildAgentEnv,
  groupAlive,
  killProcessGroup,
  readExitFile,
  touchLease,
  waitForExitFile,
} from "../../src/runner/agent-process.js";
import { isSameProcess, readProcStartTime } from "../../src/runner/proc-stat.js";
import { tempDir } from "./support/temp-dir.js";
import { sh, testAgents } from "./support/test-agents.js";
import { waitFor } from "./support/wait-for.js";

const root = tempDir();
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const { start, track } = testAgents(root, 5);

describe("spawnAgent", () => {
  it.each([
    ["exit 0", 0, null],
    ["exit 1", 1, null],
    ["exit 137", 137, null],
    ["kill -KILL $$", null, "SIGKILL"],
  ])("records `%s` in exit.json", async (script, code, signal) => {
    const agent = await start(`exit-${script.replace(/\W+/g, "-")}`, sh(script));
    const exit = await agent.exit;
    const onDisk = JSON.parse(agent.read("exit.json"));
    expect(onDisk).toEqual(exit);
    expect(exit).toMatchObject({ code, signal });
    expect(new Date(exit.endedAt).toISOString()).toBe(exit.endedAt);
    expect(await isSameProcess(agent.pid, agent.startTime)).toBe(false);
    expect(await waitForExitFile(agent.attemptDir)).toEqual(exit);
  });

  it("writes the agent's stdout and stderr to files and feeds stdin from a file", async () => {
    const promptFile = join(root, "prompt.md");
    writeFileSync(promptFile, "the prompt text\n");
    const agent = await start("stdio", {
      argv: ["sh", "-c", "echo out-line; echo err-line >&2; cat"],
      stdinFile: promptFile,
    });
    expect((await agent.exit).code).toBe(0);
    expect(agent.read("stdout.log")).toBe("out-line\nthe prompt text\n");
    expect(agent.read("stderr.log")).toBe("err-line\n");
  });

  it("gives the agent an allow-listed environment and a home of its own", async () => {
    const planted = {
      GITHUB_TOKEN: "ghs_runnerSecretThatMustNotLeak000",
      GH_TOKEN: "gho_anotherRunnerSecret000000000",
      FLEET_TEST_PASSTHROUGH: "pass-me",
      FLEET_TEST_UNLISTED: "hide-me",
    };
    const saved = Object.fromEntries(Object.keys(planted).map((k) => [k, process.env[k]]));
    Object.assign(process.env, planted);
    try {
      const agent = await start(
        "env",
        sh(
          'env; git config --global user.name || echo "no-global-identity"; ' +
            "git init -q repo && cd repo && echo x > f && git add f && git commit -qm c && " +
            'git log -1 --format="author=%an <%ae>"',
        ),
        { passthrough: ["FLEET_TEST_PASSTHROUGH"] },
      );
      expect((await agent.exit).code).toBe(0);
      const out = agent.read("stdout.log");
      const vars = new Map(
        out
          .split("\n")
          .filter((line) => /^[A-Z_][A-Z0-9_]*=/.test(line))
          .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
      );
      expect(out).not.toContain("ghs_runnerSecret");
      expect(out).not.toContain("gho_anotherRunner");
      expect(vars.has("GITHUB_TOKEN")).toBe(false);
      expect(vars.has("GH_TOKEN")).toBe(false);
      expect(vars.has("FLEET_TEST_UNLISTED")).toBe(false);
      expect(vars.get("FLEET_TEST_PASSTHROUGH")).toBe("pass-me");
      expect(vars.get("HOME")).toBe(join(agent.attemptDir, "home"));
      expect(vars.get("TMPDIR")).toBe(join(agent.attemptDir, "tmp"));
      expect(vars.get("FLEET_HEARTBEAT_FILE")).toBe(join(agent.attemptDir, "heartbeat"));
      expect(vars.get("FLEET_EVENTS_FILE")).toBe(join(agent.attemptDir, "events.jsonl"));
      expect(vars.get("FLEET_ISSUE_NUMBER")).toBe("5");
      expect(vars.get("FLEET_WORKDIR")).toBe(root);
      expect(vars.get("GIT_TERMINAL_PROMPT")).toBe("0");
      expect(out).toContain("no-global-identity");
      expect(out).toContain("author=agent-fleet agent <agent@agent-fleet.invalid>");
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it("refuses to hand runner secrets to an agent", () => {
    const attemptDir = join(root, "refuse");
    expect(() =>
      buildAgentEnv({ attemptDir, workdir: root, issueNumber: 1, passthrough: ["GITHUB_TOKEN"] }),
    ).toThrow(/GITHUB_TOKEN/);
    expect(() =>
      buildAgentEnv({ attemptDir, workdir: root, issueNumber: 1, extra: { gh_token: "x" } }),
    ).toThrow(/gh_token/);
  });

  it("reports a program that cannot start", async () => {
    const agent = await start("missing", { argv: [join(root, "no-such-agent")] });
    const exit = await agent.exit;
    expect(exit.code).toBe(127);
    expect(exit.error).toMatch(/ENOENT/);
    expect(agent.read("stderr.log")).toMatch(/cannot start/);
  });

  it("keeps running when the runner that spawned it exits, and is adopted by pid + start time", async () => {
    const attemptDir = join(root, "adopt");
    const script = join(root, "short-lived-runner.mts");
    writeFileSync(
      script,
      `import { buildAgentEnv, spawnAgent } from ${JSON.stringify(join(repoRoot, "src/runner/agent-process.ts"))};
const [attemptDir, workdir] = process.argv.slice(2);
const env = buildAgentEnv({ attemptDir, workdir, issueNumber: 9 });
const agent = await spawnAgent({
  launch: { argv: ["sh", "-c", "echo started; while [ ! -f go ]; do sleep 0.02; done; echo finished; exit 3"] },
  cwd: workdir, env, attemptDir,
});
process.stdout.write(JSON.stringify({ pid: agent.pid, startTime: String(agent.startTime) }));
process.exit(0);
`,
    );
    // execFileSync returns only once the runner's stdout pipe closes: the agent must not hold it
    const out = execFileSync(process.execPath, ["--import", "tsx", script, attemptDir, root], {
      cwd: repoRoot,
      encoding: "utf8",
      timeout: 30_000,
    });
    const { pid, startTime: start } = JSON.parse(out) as { pid: number; startTime: string };
    const startTime = BigInt(start);
    track(pid);

    expect(await isSameProcess(pid, startTime)).toBe(true);
    expect(readlinkSync(`/proc/${pid}/fd/1`)).toBe(join(attemptDir, "stdout.log"));
    expect(readlinkSync(`/proc/${pid}/fd/2`)).toBe(join(attemptDir, "stderr.log"));
    await waitFor("the agent's first line", () =>
      readFileSync(join(attemptDir, "stdout.log"), "utf8").includes("started"),
    );
    expect(await readExitFile(attemptDir)).toBeNull();

    writeFileSync(join(root, "go"), "");
    const exit = await waitForExitFile(attemptDir, { pid, startTime, recheckMs: 200 });
    expect(exit).toMatchObject({ code: 3, signal: null });
    expect(readFileSync(join(attemptDir, "stdout.log"), "utf8")).toBe("started\nfinished\n");
    expect(await isSameProcess(pid, startTime)).toBe(false);
  });

  it("stops waiting for an exit when aborted", async () => {
    const agent = await start("abort-wait", sh("echo ready; exec sleep 1000"));
    const controller = new AbortController();
    const waiting = waitForExitFile(agent.attemptDir, {
      signal: controller.signal,
      pid: agent.pid,
      startTime: agent.startTime,
    });
    controller.abort(new Error("runner shutting down"));
    await expect(waiting).rejects.toThrow("runner shutting down");
    expect(await isSameProcess(agent.pid, agent.startTime)).toBe(true);
    expect(await killProcessGroup(agent.pid, { graceMs: 5000 })).toBe("term");
  });
});

describe("killProcessGroup", () => {
  it("stops a cooperative agent with TERM and records how it ended", async () => {
    const agent = await start("term", sh("echo ready; exec sleep 1000"));
    await waitFor("ready", () => agent.read("stdout.log").includes("ready"));
    expect(await killProcessGroup(agent.pid, { graceMs: 5000 })).toBe("term");
    const exit = await agent.exit;
    expect(exit).toMatchObject({ code: null, signal: "SIGTERM" });
    expect(exit.error).toBeUndefined();
    expect(await isSameProcess(agent.pid, agent.startTime)).toBe(false);
  });

  it("KILLs an agent that ignores TERM once the grace period is over", async () => {
    const agent = await start("trap", sh("trap '' TERM; echo ready; while :; do sleep 0.05; done"));
    await waitFor("ready", () => agent.read("stdout.log").includes("ready"));
    const began = Date.now();
    expect(await killProcessGroup(agent.pid, { graceMs: 300 })).toBe("kill");
    expect(Date.now() - began).toBeGreaterThanOrEqual(300);
    const exit = await agent.exit;
    expect(exit).toMatchObject({ code: null, signal: "SIGKILL" });
    expect(await isSameProcess(agent.pid, agent.startTime)).toBe(false);
    // a runner that is not the parent reaches the same verdict
    const adopted = await waitForExitFile(agent.attemptDir, {
      pid: agent.pid,
      startTime: agent.startTime,
    });
    expect(adopted).toMatchObject({ code: null, signal: "SIGKILL" });
  });

  it("takes the agent's children down with it", async () => {
    const agent = await start(
      "grandchild",
      sh("sleep 1000 & echo $! > grandchild.pid; echo ready; wait"),
    );
    await waitFor("ready", () => agent.read("stdout.log").includes("ready"));
    const grandchild = Number(agent.read("grandchild.pid").trim());
    const grandchildStart = await readProcStartTime(grandchild);
    expect(grandchildStart).not.toBeNull();
    expect(await isSameProcess(grandchild, grandchildStart ?? 0n)).toBe(true);

    expect(await killProcessGroup(agent.pid, { graceMs: 5000 })).toBe("term");
    await agent.exit;
    expect(await isSameProcess(agent.pid, agent.startTime)).toBe(false);
    expect(await isSameProcess(grandchild, grandchildStart ?? 0n)).toBe(false);
  });

  it("says so when the group is already gone", async () => {
    const agent = await start("gone", sh("exit 0"));
    await agent.exit;
    expect(await killProcessGroup(agent.pid, { graceMs: 1000 })).toBe("exited");
  });
});

/** Renews a lease the way a runner does, until stopped. */
function renewing(file: string, everyMs: number): () => void {
  const timer = setInterval(() => touchLease(file), everyMs);
  return () => clearInterval(timer);
}

const ticks = (text: string) => text.split("tick").length - 1;
const TICKER = "while :; do echo tick; sleep 0.1; done";

describe("the wrapper's dead-man's switch", () => {
  const ttlMs = 600;
  const killGraceMs = 300;

  it("keeps the agent while the lease is renewed and kills it once renewals stop", async () => {
    const lease = { file: join(root, "switch.lease"), ttlMs, killGraceMs };
    const agent = await start("switch", sh(TICKER), { lease });
    const stop = renewing(lease.file, ttlMs / 3);
    try {
      // 20 ticks of 100 ms: alive for more than three lease periods
      await waitFor("20 ticks", () => ticks(agent.read("stdout.log")) >= 20);
      expect(await isSameProcess(agent.pid, agent.startTime)).toBe(true);
      expect(await readExitFile(agent.attemptDir)).toBeNull();
    } finally {
      stop();
    }
    const stoppedAt = Date.now();
    const exit = await agent.exit;
    const took = Date.now() - stoppedAt;
    expect(exit).toMatchObject({ code: null, signal: "SIGTERM", reason: "lease-expired" });
    expect(JSON.parse(agent.read("exit.json"))).toEqual(exit);
    expect(took).toBeGreaterThanOrEqual(ttlMs - ttlMs / 3);
    expect(took).toBeLessThan(ttlMs + killGraceMs + 10_000);
    expect(await groupAlive(agent.pid)).toBe(false);
    expect(agent.read("stderr.log")).toMatch(/lease .* unrenewed/);
  });

  it("KILLs an agent that ignores TERM once the lease has expired", async () => {
    const lease = { file: join(root, "switch-trap.lease"), ttlMs, killGraceMs };
    const agent = await start(
      "switch-trap",
      sh("trap '' TERM; sleep 1000 & while :; do echo tick; sleep 0.1; done"),
      { lease },
    );
    await waitFor("a tick", () => ticks(agent.read("stdout.log")) >= 1);
    const exit = await agent.exit; // never renewed after spawnAgent's first touch
    expect(exit).toMatchObject({ code: null, signal: "SIGKILL", reason: "lease-expired" });
    expect(await groupAlive(agent.pid)).toBe(false); // the background sleep went too
  });

  it("outlives a runner killed with SIGKILL, and a successor that renews the lease keeps it", async () => {
    const attemptDir = join(root, "orphan");
    const leaseFile = join(root, "orphan.lease");
    const script = join(root, "doomed-runner.mts");
    writeFileSync(
      script,
      `import { buildAgentEnv, spawnAgent, touchLease } from ${JSON.stringify(join(repoRoot, "src/runner/agent-process.ts"))};
const [attemptDir, leaseFile, ttl] = process.argv.slice(2);
const env = buildAgentEnv({ attemptDir, workdir: attemptDir, issueNumber: 9 });
const agent = await spawnAgent({
  launch: { argv: ["sh", "-c", "while [ ! -f go ]; do echo tick; sleep 0.1; done; exit 3"] },
  cwd: attemptDir, env, attemptDir, lease: { file: leaseFile, ttlMs: Number(ttl) },
});
setInterval(() => touchLease(leaseFile), Number(ttl) / 3);
process.stdout.write(JSON.stringify({ pid: agent.pid, startTime: String(agent.startTime) }) + "\\n");
`,
    );
    const runner = spawn(
      process.execPath,
      ["--import", "tsx", script, attemptDir, leaseFile, "1500"],
      {
        cwd: repoRoot,
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const runnerGone = new Promise((resolve) => runner.once("exit", resolve));
    let out = "";
    runner.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    await waitFor("the runner's report", () => out.includes("\n"), { timeoutMs: 30_000 });
    const { pid, startTime: start } = JSON.parse(out) as { pid: number; startTime: string };
    const startTime = BigInt(start);
    track(pid);

    runner.kill("SIGKILL");
    await runnerGone;
    const stop = renewing(leaseFile, 500); // the successor adopts within the TTL
    try {
      const read = () => readFileSync(join(attemptDir, "stdout.log"), "utf8");
      const before = ticks(read());
      // 30 more ticks of 100 ms: two lease periods with its spawner dead
      await waitFor("30 more ticks", () => ticks(read()) >= before + 30);
      expect(await isSameProcess(pid, startTime)).toBe(true);
      expect(await readExitFile(attemptDir)).toBeNull();
      writeFileSync(join(attemptDir, "go"), "");
      const exit = await waitForExitFile(attemptDir, { pid, startTime, recheckMs: 100 });
      expect(exit).toMatchObject({ code: 3, signal: null });
      expect(exit.reason).toBeUndefined();
    } finally {
      stop();
    }
  });
});
