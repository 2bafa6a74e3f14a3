import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { type Clock, createClock } from "../../src/config/clock.js";
import type { Db } from "../../src/db/client.js";
import { attempts, tasks } from "../../src/db/schema.js";
import { groupAlive } from "../../src/runner/agent-process.js";
import { worktreeDirFor } from "../../src/runner/attempt-meta.js";
import { formatUsd } from "../../src/runner/budget-messages.js";
import { utcDayStart } from "../../src/runner/daily-budget.js";
import { taskInput } from "../db/fixtures.js";
import { useTestDatabase } from "../support/db.js";
import { attemptHarness } from "./support/attempt-harness.js";
import { gitRemote } from "./support/git-remote.js";
import { tempDir } from "./support/temp-dir.js";

const root = tempDir("fleet-budgets-");
const dataDir = join(root, "data");
const DAY_MS = 24 * 60 * 60 * 1000;
const database = useTestDatabase({ truncate: ["tasks", "attempts", "events"] });
let db: Db;
let repos = 0;

beforeAll(() => {
  db = database.db;
});

const harness = attemptHarness({ db: () => db, dataDir });
const newRepo = () => gitRemote(root, `acme/budget-${++repos}`);

/** An agent script in a file: agent.command reads braces as placeholders. */
function agentScript(name: string, script: string): string[] {
  const file = join(root, `${name}.sh`);
  writeFileSync(file, script);
  return ["sh", file];
}

describe("agent.maxCostUsd", () => {
  it("stops an agent whose reported cost passes the limit, fails the task without retry and says so", async () => {
    const repo = newRepo();
    // Reports a rising total, five cents every 100 ms, and would go on for ever.
    const command = agentScript(
      "spender",
      `i=1
while :; do
  printf '{"type":"cost","usd":%d.%02d}\\n' $((i * 5 / 100)) $((i * 5 % 100)) >> "$FLEET_EVENTS_FILE"
  i=$((i + 1))
  sleep 0.1
done
`,
    );
    await harness.queue(repo, {
      agent: { adapter: "command", command, maxCostUsd: 0.5, maxAttempts: 3, killGrace: "2s" },
      retry: { initial: "1s" },
    });
    const started = Date.now();
    const { task, attempts: rows, calls, events } = await harness.claimAndRun();

    expect(Date.now() - started).toBeLessThan(20_000); // nowhere near the 30m wall clock
    expect(task.state).toBe("failed"); // no retry_wait, although two attempts were left
    expect(rows).toHaveLength(1);
    const [attempt] = rows;
    expect(attempt).toMatchObject({ outcome: "over_budget", signal: "SIGTERM", state: "finished" });
    const cost = attempt?.costUsd ?? 0;
    expect(cost).toBeGreaterThan(0.5);
    expect(await groupAlive(attempt?.pid ?? 0)).toBe(false);
    expect(events.filter((e) => e.toState === "retry_wait")).toEqual([]);

    expect(calls.comments).toHaveLength(1);
    const comment = calls.comments[0]?.body ?? "";
    expect(calls.comments[0]?.number).toBe(5);
    expect(comment).toContain(
      `the agent reported a cost of ${formatUsd(cost)}, over the limit of $0.50 per attempt`,
    );
    expect(calls.labels).toEqual([{ number: 5, label: "fleet:failed" }]);
  });
});

describe("budget.dailyUsd", () => {
  /** "Now" is noon (UTC) of the real day, so the database's now() falls on the same day. */
  function clockAt(dayOffset: number): Clock {
    const real = createClock(1);
    const offset = utcDayStart(Date.now()).getTime() + DAY_MS / 2 + dayOffset * DAY_MS - Date.now();
    return { ...real, now: () => Date.now() + offset };
  }

  /** Spending of earlier attempts: a finished task of the installation with one attempt per cost. */
  async function spent(installationId: number, costs: Array<{ usd: number; startedAt?: Date }>) {
    const [done] = await db
      .insert(tasks)
      .values({ ...taskInput({ installationId }), state: "no_changes", attempt: costs.length })
      .returning();
    if (!done) throw new Error("no task");
    await db.insert(attempts).values(
      costs.map((c, i) => ({
        taskId: done.id,
        number: i + 1,
        runnerId: "r0",
        leaseToken: crypto.randomUUID(),
        state: "finished" as const,
        outcome: "succeeded",
        costUsd: c.usd,
        ...(c.startedAt ? { startedAt: c.startedAt } : {}),
      })),
    );
  }

  const marker = join(root, "agent-ran");
  const budgetConfig = (dailyUsd: number) => ({
    agent: { adapter: "command", command: ["sh", "-c", `touch '${marker}'`] },
    budget: { dailyUsd },
  });

  it("counts only today's attempts of this installation", async () => {
    rmSync(marker, { force: true });
    const yesterday = new Date(utcDayStart(Date.now()).getTime() - 60 * 60 * 1000);
    await spent(7, [{ usd: 0.75 }, { usd: 0.5 }, { usd: 5, startedAt: yesterday }]);
    await spent(8, [{ usd: 10 }]);
    await harness.queue(newRepo(), budgetConfig(2));
    const { task, calls } = await harness.claimAndRun({ clock: clockAt(0) });
    expect(existsSync(marker)).toBe(true); // 1.25 spent today, under 2
    expect(task.state).toBe("no_changes");
    expect(calls.comments.map((c) => c.body).join()).not.toMatch(/daily budget/);
  });

  it("sends a claimed task back to the queue until midnight, without spending an attempt", async () => {
    rmSync(marker, { force: true });
    await spent(7, [{ usd: 0.75 }, { usd: 0.5 }]);
    const repo = newRepo();
    // Its first attempt crashed; it waits in the queue for its second.
    const queued = await harness.queue(repo, budgetConfig(1.25), { attempt: 1 });
    const first = await harness.claimAndRun({ clock: clockAt(0) });

    expect(first.claimed.attempt.number).toBe(2);
    expect(existsSync(marker)).toBe(false); // the agent never started
    expect(first.task).toMatchObject({
      state: "queued",
      attempt: 1,
      attemptBase: 0,
      leaseOwner: null,
      leaseToken: null,
    });
    const midnight = utcDayStart(Date.now()).getTime() + DAY_MS;
    expect(first.task.runAfter.getTime()).toBe(midnight);
    expect(first.attempts).toEqual([]); // the claimed attempt is gone with its claim
    expect(first.events.map((e) => [e.kind, e.fromState, e.toState, e.data])).toEqual([
      [
        "budget_exhausted",
        "running",
        "queued",
        { installationId: 7, spentUsd: 1.25, limitUsd: 1.25 },
      ],
    ]);
    expect(first.calls.comments).toEqual([
      {
        number: 5,
        body: expect.stringContaining(
          "The daily budget of $1.25 for this installation is spent; work resumes after 00:00 UTC.",
        ),
      },
    ]);
    expect(existsSync(worktreeDirFor(dataDir, queued.id, 2))).toBe(false);

    // Queued again the same day (say by a human): deferred again, but the issue heard it already.
    await db.update(tasks).set({ runAfter: sql`now()` }).where(eq(tasks.id, queued.id));
    const again = await harness.claimAndRun({ clock: clockAt(0) });
    expect(again.task).toMatchObject({ state: "queued", attempt: 1 });
    expect(again.events.filter((e) => e.kind === "budget_exhausted")).toHaveLength(2);
    expect(again.calls.comments).toEqual([]);
    expect(existsSync(marker)).toBe(false);

    // The next day the budget is fresh: the agent runs as the task's second attempt.
    await db.update(tasks).set({ runAfter: sql`now()` }).where(eq(tasks.id, queued.id));
    const tomorrow = await harness.claimAndRun({ clock: clockAt(1) });
    expect(existsSync(marker)).toBe(true);
    expect(tomorrow.attempts.map((a) => [a.number, a.outcome])).toEqual([[2, "no_changes"]]);
  });
});
