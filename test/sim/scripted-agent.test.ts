import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJournal } from "../../src/sim/journal.js";
import { Witness } from "../../src/sim/witness.js";

const AGENT = fileURLToPath(new URL("../../src/sim/scripted-agent.mjs", import.meta.url));

let dir: string;
let witness: Witness;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fleet-scripted-"));
  witness = await Witness.listen(join(dir, "witness.sock"));
  const step = (behavior: string, durationMs = 0) => ({ behavior, durationMs, edit: {} });
  const plan = {
    journal: join(dir, "journal.jsonl"),
    witness: witness.path,
    issues: {
      "a/b#1": { heartbeatMs: 20, steps: [step("crash", 50), step("noop")] },
      "a/b#2": { heartbeatMs: 20, steps: [step("hang")] },
      "a/b#3": { heartbeatMs: 20, steps: [step("busy")] },
      "a/b#4": { heartbeatMs: 20, steps: [step("ignore-sigterm")] },
    },
  };
  await writeFile(join(dir, "plan.json"), JSON.stringify(plan));
});

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await witness.close();
  await rm(dir, { recursive: true, force: true });
});

function run(issue: number): { child: ChildProcess; heartbeat: string; exit: Promise<number> } {
  const heartbeat = join(dir, `heartbeat-${issue}-${children.length}`);
  const child = spawn(
    process.execPath,
    [AGENT, "--plan", join(dir, "plan.json"), "--repo", "a/b", "--issue", String(issue)],
    { cwd: dir, env: { ...process.env, FLEET_HEARTBEAT_FILE: heartbeat }, stdio: "ignore" },
  );
  children.push(child);
  const exit = new Promise<number>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? (signal === "SIGKILL" ? 137 : -1))),
  );
  return { child, heartbeat, exit };
}

/** Polls a condition with a bound, instead of sleeping for a guessed time. */
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

const journalOf = async (key: string) =>
  (await readJournal(join(dir, "journal.jsonl"))).filter((e) => e.key === key);

describe("the scripted agent", () => {
  it("crashes with 137 on its first attempt and follows the next step on its second", async () => {
    expect(await run(1).exit).toBe(137);
    expect(await run(1).exit).toBe(0);
    const entries = await journalOf("a/b#1");
    expect(entries.map((e) => [e.event, e.attempt, e.behavior ?? e.code])).toEqual([
      ["start", 1, "crash"],
      ["end", 1, 137],
      ["start", 2, "noop"],
      ["end", 2, 0],
    ]);
    const [start] = entries;
    expect(start?.ppid).toBe(process.pid);
    expect(start?.startTime).toMatch(/^\d+$/);
    await until("the witness to see both deaths", () =>
      entries.filter((e) => e.event === "start").every((e) => witness.deaths.has(e.pid)),
    );
  });

  it("hangs without a heartbeat, and leaves on SIGTERM", async () => {
    const agent = run(2);
    await until("the hang to start", async () => (await journalOf("a/b#2")).length > 0);
    await until("the witness to see it", () => witness.alive.includes(agent.child.pid ?? -1));
    expect(existsSync(agent.heartbeat)).toBe(false);
    agent.child.kill("SIGTERM");
    expect(await agent.exit).toBe(143);
    expect((await journalOf("a/b#2")).at(-1)).toMatchObject({ event: "end", reason: "sigterm" });
  });

  it("heartbeats forever when busy", async () => {
    const agent = run(3);
    await until("a first heartbeat", () => existsSync(agent.heartbeat));
    const first = statSync(agent.heartbeat).mtimeMs;
    await until("a later heartbeat", () => statSync(agent.heartbeat).mtimeMs > first);
    agent.child.kill("SIGTERM");
    expect(await agent.exit).toBe(143);
  });

  it("ignores SIGTERM, heartbeating on, until a SIGKILL", async () => {
    const agent = run(4);
    await until("a first heartbeat", () => existsSync(agent.heartbeat));
    agent.child.kill("SIGTERM");
    await until("the ignored signal in the journal", async () =>
      (await journalOf("a/b#4")).some((e) => e.event === "signal" && e.ignored),
    );
    const after = statSync(agent.heartbeat).mtimeMs;
    await until("a heartbeat after the TERM", () => statSync(agent.heartbeat).mtimeMs > after);
    agent.child.kill("SIGKILL");
    expect(await agent.exit).toBe(137);
    const pid = agent.child.pid ?? -1;
    await until("the witness to see the KILL", () => witness.deaths.has(pid));
    expect((await journalOf("a/b#4")).some((e) => e.event === "end")).toBe(false);
  });
});
