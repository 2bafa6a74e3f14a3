import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClock } from "../../src/config/clock.js";
import { parseFleetConfig } from "../../src/config/fleet-config.js";
import { claimNextTask, listAttempts, listEvents } from "../../src/db/queries/index.js";
import { tasks } from "../../src/db/schema.js";
import { groupAlive } from "../../src/runner/agent-process.js";
import type { AttemptContext } from "../../src/runner/attempt-context.js";
import {
  attemptDirFor,
  writeAgentIdentity,
  writeAttemptMeta,
} from "../../src/runner/attempt-meta.js";
import { readProcStatSync } from "../../src/runner/proc-stat.js";
import { reconcileAttempt } from "../../src/runner/reconcile.js";
import { Workspaces } from "../../src/runner/workspace.js";
import { taskInput } from "../db/fixtures.js";
import { fakeGitHub } from "../runner/support/fake-github.js";
import { useTestDatabase } from "../support/db.js";

/**
 * A runner SIGKILLed between spawning an agent and recording its pid: the restarted runner must
 * find that agent (from the file written as it was spawned) and adopt it, not start another one
 * beside it.
 */
const database = useTestDatabase({ truncate: ["tasks"] });
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "fleet-unrecorded-"));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function claimedAttempt() {
  await database.db.insert(tasks).values({ ...taskInput(), state: "queued" });
  const claim = await claimNextTask(database.db, { runnerId: "r1", leaseMs: 60_000 });
  if (!claim) throw new Error("nothing to claim");
  const parsed = parseFleetConfig(claim.task.config);
  if (!parsed.ok) throw new Error("bad config");
  const cancel = new AbortController();
  const ctx: AttemptContext = {
    ...claim,
    config: parsed.config,
    db: database.db,
    clock: createClock(1),
    log: pino({ level: "silent" }),
    github: fakeGitHub().factory,
    workspaces: new Workspaces({ root: dataDir }),
    dataDir,
    cancel: cancel.signal,
    release: new AbortController().signal,
    leaseTtlMs: 60_000,
    defaultAgentCommand: undefined,
    hostEnv: {},
    onHeartbeat: () => {},
  };
  const attemptDir = attemptDirFor(dataDir, claim.task.id, claim.attempt.number);
  await mkdir(attemptDir, { recursive: true });
  await writeAttemptMeta(attemptDir, {
    branch: "fleet/1-x",
    baseSha: "0".repeat(40),
    worktreeDir: join(dataDir, "worktrees", "none"),
    startedAtMs: Date.now(),
    adapter: "command",
  });
  return { claim, ctx, cancel, attemptDir };
}

/** A live process in its own group, standing in for an agent's wrapper. */
function liveAgent() {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], {
    detached: true,
    stdio: "ignore",
  });
  child.unref();
  const pid = child.pid as number;
  const stat = readProcStatSync(pid);
  if (!stat) throw new Error("the stand-in agent did not start");
  return { pid, startTime: stat.startTime };
}

describe("an agent whose pid never reached the database", () => {
  it("is adopted after a restart, from the identity written as it was spawned", async () => {
    const { claim, ctx, cancel, attemptDir } = await claimedAttempt();
    const agent = liveAgent();
    try {
      writeAgentIdentity(attemptDir, agent);
      const { kind, run } = await reconcileAttempt(ctx, claim);
      expect(kind).toBe("adopted");
      const [attempt] = await listAttempts(database.db, claim.task.id);
      expect(attempt).toMatchObject({ pid: agent.pid, pidStartTime: agent.startTime });
      const events = await listEvents(database.db, claim.task.id);
      expect(events.map((e) => e.kind)).toContain("adopted");
      expect(await groupAlive(agent.pid)).toBe(true);
      // Followed like any agent: a cancel stops it.
      cancel.abort("cancelled");
      await run;
      expect(await groupAlive(agent.pid)).toBe(false);
    } finally {
      try {
        process.kill(-agent.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }, 30_000);

  it("is lost, as before, when there is no identity either", async () => {
    const { claim, ctx } = await claimedAttempt();
    const { kind, run } = await reconcileAttempt(ctx, claim);
    await run;
    expect(kind).toBe("lost");
    const [attempt] = await listAttempts(database.db, claim.task.id);
    expect(attempt?.outcome).toBe("lost");
  });
});
