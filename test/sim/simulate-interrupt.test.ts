import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, onTestFinished } from "vitest";
import { waitFor } from "../runner/support/wait-for.js";

const BIN = fileURLToPath(new URL("../../bin/fleet.js", import.meta.url));

// One agent that would run for an hour: the simulation is interrupted while it runs.
const SCENARIO = `
name: interrupted
speed: 1
repos:
  - slug: acme/api
    files: { README.md: "# api\\n" }
    collaborators: { alice: write }
issues:
  - repo: acme/api
    number: 1
    title: Long
    labels: [{ name: agent-ready, by: alice, at: 0s }]
    agent: { behavior: slow, duration: 1h, edit: { a.txt: "a\\n" } }
`;

interface Proc {
  pid: number;
  ppid: number;
  cmdline: string;
}

async function processes(): Promise<Proc[]> {
  const found: Proc[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, "utf8")).replaceAll("\0", " ");
      found.push({ pid: Number(entry), ppid, cmdline });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Every process below `root`, through parent links. */
async function descendants(root: number): Promise<Proc[]> {
  const all = await processes();
  const below: Proc[] = [];
  const parents = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        below.push(p);
        grew = true;
      }
    }
  }
  return below;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("fleet simulate, interrupted", () => {
  it("stops its runners, agent and database and removes its files on SIGINT", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fleet-interrupt-"));
    const scenario = join(dir, "interrupted.yml");
    await writeFile(scenario, SCENARIO);
    const child = spawn(process.execPath, [BIN, "simulate", scenario], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: "warn" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const exited = once(child, "exit");
    const pid = child.pid as number;

    // The agent runs, under a runner, beside the simulation's PostgreSQL.
    const started = await waitFor(
      "the scripted agent to run",
      async () => {
        const below = await descendants(pid);
        return below.some((p) => p.cmdline.includes("scripted-agent")) ? below : null;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const agent = started.find((p) => p.cmdline.includes("scripted-agent"));
    const root = agent?.cmdline.match(/--plan (\S+)\/plan\.json/)?.[1] ?? "";
    expect(root).toMatch(/fleet-sim-/);
    onTestFinished(async () => {
      // Should the test fail, nothing it started may outlive it.
      for (const p of [...started, { pid }]) if (alive(p.pid)) process.kill(p.pid, "SIGKILL");
      await rm(root, { recursive: true, force: true });
    });
    expect(started.some((p) => p.cmdline.includes("fleet.js runner"))).toBe(true);
    // PostgreSQL runs from the simulation's folder, whatever its parent.
    const postgres = (await processes()).filter((p) => p.cmdline.includes(`-D ${root}/pg`));
    expect(postgres).not.toEqual([]);
    started.push(...postgres);

    child.kill("SIGINT");
    const [code, signal] = await exited;
    expect({ code, signal }, stderr).toEqual({ code: null, signal: "SIGINT" });
    expect(stderr).toContain("simulation interrupted");
    // A process killed last may take a moment to be reaped.
    await waitFor(
      "every process the simulation started to end",
      () => started.every((p) => !alive(p.pid)),
      { timeoutMs: 10_000 },
    ).catch(() => undefined);
    const left = started.filter((p) => alive(p.pid));
    expect(left.map((p) => p.cmdline)).toEqual([]);
    expect(existsSync(root)).toBe(false);
  }, 90_000);
});
