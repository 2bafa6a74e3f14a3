import { sql } from "drizzle-orm";
import { pino } from "pino";
import { beforeAll, describe, expect, it } from "vitest";
import { createClock } from "../../src/config/clock.js";
import type { Db } from "../../src/db/client.js";
import {
  getTask,
  queuePullWork,
  recordEvent,
  registerRunner,
  renewRunnerLease,
  takeOverExpiredTasks,
} from "../../src/db/queries/index.js";
import { transitionTask } from "../../src/db/transition.js";
import { flagTask, recordMerged } from "../../src/merge/task-actions.js";
import { causeFingerprint } from "../../src/report/causes.js";
import { collectReport } from "../../src/report/collect.js";
import { formatReportMarkdown, formatReportText } from "../../src/report/format.js";
import type { MorningReport } from "../../src/report/types.js";
import { useTestDatabase } from "../support/db.js";
import { claim, enqueue, failAndRetry, finish } from "./support/history.js";

const database = useTestDatabase();
let db: Db;

beforeAll(() => {
  db = database.db;
});

const APP = "acme/app";
const ctx = () => ({ db, log: pino({ level: "silent" }), clock: createClock(1) });

/**
 * A night of acme/app, through the real query functions:
 * #1 succeeds, a fix the policy asked for succeeds, merges, is reverted;
 * #2 crashes, fails in the runner, succeeds and is flagged;
 * #3 stalls (for 30 minutes) and times out;
 * #4 is lost in a takeover, adopted after a restart, stopped over budget;
 * #5 succeeds and is started again with nothing asking for it (a duplicate);
 * #6 crashes for good. acme/other#9 crashes too, and installation 8 ran out of budget.
 */
async function buildNight(): Promise<void> {
  await registerRunner(db, { id: "r1", hostname: "host-a", pid: 1, capacity: 4, leaseMs: 60_000 });
  await registerRunner(db, { id: "r2", hostname: "host-b", pid: 2, capacity: 4, leaseMs: 60_000 });
  // r1 has been up since before the night's first (back-dated) attempt.
  await db.execute(sql`update runners set started_at = now() - interval '3 hours' where id = 'r1'`);

  const t1 = await enqueue(db, APP, 1);
  await finish(db, await claim(db, t1, "r1"), "succeeded", "pr_open", {
    exitCode: 0,
    set: { prNumber: 101, branch: "fleet/1-x" },
  });
  const open1 = await getTask(db, t1.id);
  if (!open1) throw new Error("task 1 vanished");
  await queuePullWork(db, {
    task: open1,
    from: ["pr_open"],
    work: "fix",
    workContext: "ci/test failed",
    countsAsFix: true,
    event: { kind: "fix_queued" },
  });
  await finish(db, await claim(db, t1, "r1"), "succeeded", "pr_open", { exitCode: 0 });
  const fixed = await getTask(db, t1.id);
  if (!fixed || !(await recordMerged(ctx(), fixed, "abc1234", "fleet"))) {
    throw new Error("not merged");
  }
  await transitionTask(db, {
    taskId: t1.id,
    to: "reverted",
    from: ["merged"],
    event: { kind: "reverted", data: { mergeSha: "abc1234", failed: ["ci/test"] } },
  });

  const t2 = await enqueue(db, APP, 2);
  await failAndRetry(db, await claim(db, t2, "r1"), "crashed", { exitCode: 1 });
  await failAndRetry(db, await claim(db, t2, "r1"), "runner_error", {
    lastError: "git push failed: exit code 128 for /var/lib/fleet/worktrees/2-2",
  });
  const open2 = await finish(db, await claim(db, t2, "r1"), "succeeded", "pr_open", {
    exitCode: 0,
    set: { prNumber: 102 },
  });
  await flagTask(db, open2, "required checks still pending after 2h");

  const t3 = await enqueue(db, APP, 3);
  const stalled = await claim(db, t3, "r1");
  await failAndRetry(db, stalled, "stalled", { signal: "SIGTERM" });
  await db.execute(
    sql`update attempts set started_at = ended_at - interval '30 minutes' where id = ${stalled.attempt.id}`,
  );
  await finish(db, await claim(db, t3, "r1"), "timed_out", "failed", {
    signal: "SIGKILL",
    set: { lastError: "last attempt timed_out" },
  });

  const t4 = await enqueue(db, APP, 4);
  await claim(db, t4, "r2");
  // Runner r2 dies: its lease and the task's run out, and r1's sweep takes the task over.
  await db.execute(
    sql`update tasks set lease_expires_at = now() - interval '1 hour' where id = ${t4.id}`,
  );
  await db.execute(
    sql`update runners set lease_expires_at = now() - interval '1 hour' where id = 'r2'`,
  );
  expect(await takeOverExpiredTasks(db, { graceMs: 0, sweeper: "r1" })).toEqual([t4.id]);
  const second = await claim(db, t4, "r1");
  await recordEvent(db, {
    taskId: t4.id,
    attemptId: second.attempt.id,
    kind: "adopted",
    data: { pid: 4242, runner: "r1" },
  });
  await finish(db, second, "over_budget", "failed", {
    set: {
      lastError:
        "the agent reported a cost of $2.50, over the limit of $2.00 per attempt (agent.maxCostUsd), and was stopped",
    },
  });

  const t5 = await enqueue(db, APP, 5);
  await finish(db, await claim(db, t5, "r1"), "succeeded", "pr_open", {
    exitCode: 0,
    set: { prNumber: 105 },
  });
  // A bug puts the task back in the queue with no event and no reason.
  await db.execute(sql`update tasks set state = 'queued' where id = ${t5.id}`);
  await finish(db, await claim(db, t5, "r1"), "succeeded", "pr_open", { exitCode: 0 });

  const t6 = await enqueue(db, APP, 6);
  await finish(db, await claim(db, t6, "r1"), "crashed", "failed", {
    exitCode: 2,
    set: { lastError: "last attempt crashed" },
  });

  const other = await enqueue(db, "acme/other", 9, { installationId: 8 });
  await finish(db, await claim(db, other, "r1"), "crashed", "failed", { exitCode: 3 });

  // A claim of #6 put back on a spent daily budget; two more stops name only an installation.
  await recordEvent(db, {
    taskId: t6.id,
    kind: "budget_exhausted",
    data: { installationId: 7, spentUsd: 12.5, limitUsd: 10 },
  });
  await recordEvent(db, {
    kind: "budget_exhausted",
    data: { installationId: 8, spentUsd: 3, limitUsd: 2 },
  });
  await recordEvent(db, {
    kind: "budget_exhausted",
    data: { installationId: 7, spentUsd: 10.25, limitUsd: 10 },
  });
  await db.execute(sql`
    update attempts a set cost_usd = case a.number when 1 then 0.5 else 1.25 end
    from tasks t where t.id = a.task_id and t.id = ${t1.id}`);
  await renewRunnerLease(db, "r1", 60_000, { claimQueries: 30, wakeups: 25 });
}

describe("the morning report over a night of real history", () => {
  let report: MorningReport;
  let everything: MorningReport;

  beforeAll(async () => {
    await buildNight();
    const to = new Date(Date.now() + 60_000);
    const from = new Date(Date.now() - 2 * 3_600_000);
    report = await collectReport(db, { from, to, repos: [APP] });
    everything = await collectReport(db, { from, to });
  });

  it("counts wake-ups against the claims of each runner process", () => {
    expect(report.wakeups.runners).toEqual([
      expect.objectContaining({
        id: "r1",
        hostname: "host-a",
        wakeups: 25,
        claimQueries: 30,
        claims: 12,
        emptyClaimQueries: 18,
        idleShare: 0.6,
      }),
      expect.objectContaining({
        id: "r2",
        wakeups: 0,
        claimQueries: 0,
        claims: 1,
        emptyClaimQueries: 0,
        idleShare: null,
      }),
    ]);
    expect(report.wakeups.totals).toEqual({
      wakeups: 25,
      claimQueries: 30,
      claims: 13,
      emptyClaimQueries: 18,
      idleShare: 0.6,
    });
    expect(report.wakeups.scope).toMatch(/not the report's window/);
  });

  it("counts dispatches per issue and the one duplicate", () => {
    expect(report.dispatches.total).toBe(12);
    expect(report.dispatches.issues).toBe(6);
    expect(report.dispatches.perIssue).toEqual([
      { repo: APP, issue: 2, dispatches: 3, outcomes: ["crashed", "runner_error", "succeeded"] },
      { repo: APP, issue: 1, dispatches: 2, outcomes: ["succeeded", "succeeded"] },
      { repo: APP, issue: 3, dispatches: 2, outcomes: ["stalled", "timed_out"] },
      { repo: APP, issue: 4, dispatches: 2, outcomes: ["lost", "over_budget"] },
      { repo: APP, issue: 5, dispatches: 2, outcomes: ["succeeded", "succeeded"] },
      { repo: APP, issue: 6, dispatches: 1, outcomes: ["crashed"] },
    ]);
    expect(report.dispatches.duplicates).toEqual([
      { repo: APP, issue: 5, attempt: 2, startedAt: expect.any(String) },
    ]);
  });

  it("lists merges, flags with their reasons and reverts", () => {
    expect(report.policy.merged).toEqual([
      { repo: APP, issue: 1, pr: 101, at: expect.any(String), reason: "by fleet" },
    ]);
    expect(report.policy.flagged).toEqual([
      {
        repo: APP,
        issue: 2,
        pr: 102,
        at: expect.any(String),
        reason: "required checks still pending after 2h",
      },
    ]);
    expect(report.policy.reverted).toEqual([
      {
        repo: APP,
        issue: 1,
        pr: 101,
        at: expect.any(String),
        reason: "post-merge checks failed: ci/test",
      },
    ]);
  });

  it("counts attempts by outcome, adoptions, the longest attempt and the cost", () => {
    expect(report.attempts).toEqual({
      started: 12,
      finished: 12,
      byOutcome: {
        succeeded: 5,
        crashed: 2,
        runner_error: 1,
        stalled: 1,
        timed_out: 1,
        lost: 1,
        over_budget: 1,
      },
      stalled: 1,
      timedOut: 1,
      crashed: 2,
      lost: 1,
      runnerErrors: 1,
      adopted: 1,
    });
    expect(report.longestAttempt).toEqual({
      repo: APP,
      issue: 3,
      attempt: 1,
      runtimeMs: 30 * 60_000,
      outcome: "stalled",
    });
    expect(report.cost).toEqual({
      totalUsd: 1.75,
      attemptsWithCost: 2,
      attemptsWithoutCost: 10,
      mostExpensive: expect.objectContaining({ repo: APP, issue: 1, attempt: 2, costUsd: 1.25 }),
    });
    const busy = report.busyByHour.reduce((sum, h) => sum + h.busyMs, 0);
    expect(busy).toBeGreaterThanOrEqual(30 * 60_000);
    expect(busy).toBeLessThan(31 * 60_000);
  });

  it("lists budget stops of the repos' installations only", () => {
    expect(report.budget.exhausted).toEqual([
      {
        repo: APP,
        issue: 6,
        installationId: 7,
        spentUsd: 12.5,
        limitUsd: 10,
        at: expect.any(String),
      },
      {
        repo: null,
        issue: null,
        installationId: 7,
        spentUsd: 10.25,
        limitUsd: 10,
        at: expect.any(String),
      },
    ]);
    expect(report.budget.overBudget).toEqual([
      expect.objectContaining({ repo: APP, issue: 4, attempt: 2, outcome: "over_budget" }),
    ]);
    expect(everything.budget.exhausted.map((b) => b.installationId)).toEqual([7, 8, 7]);
  });

  it("groups failures by cause with examples", () => {
    expect(report.failures.map((f) => [f.cause, f.count, f.infrastructure])).toEqual([
      ["crashed: exit code <n>", 2, true],
      ["lost: its runner's lease expired and another runner took the task over", 1, true],
      [
        "over_budget: the agent reported a cost of $<n>, over the limit of $<n> per attempt (agent.maxCostUsd), and was stopped",
        1,
        false,
      ],
      ["runner_error: git push failed: exit code <n> for <path>", 1, true],
      ["stalled", 1, true],
      ["timed_out", 1, true],
    ]);
    const crashed = report.failures[0];
    expect(crashed?.fingerprint).toBe(causeFingerprint("crashed: exit code <n>"));
    expect(crashed?.examples.map((e) => [e.repo, e.issue, e.attempt, e.message])).toEqual([
      [APP, 2, 1, "exit code 1"],
      [APP, 6, 1, "exit code 2"],
    ]);
    expect(report.failures[3]?.examples[0]?.message).toBe(
      "git push failed: exit code 128 for /var/lib/fleet/worktrees/2-2",
    );
    // Without a repo filter, acme/other's crash joins the same cause.
    expect(everything.failures[0]).toMatchObject({ cause: "crashed: exit code <n>", count: 3 });
    expect(everything.dispatches.total).toBe(13);
  });

  it("formats the report as text for a terminal", () => {
    const text = formatReportText(report);
    expect(text).toMatch(/^agent-fleet report: \S+ \S+ to \S+ \S+ UTC \(2h1m\), acme\/app$/m);
    expect(text).toMatch(/^r1\s+host-a\s+active\s+\S+ \S+\s+25\s+30\s+12\s+60\.0%$/m);
    expect(text).toMatch(/^r2\s+host-b\s+active\s+\S+ \S+\s+0\s+0\s+1\s+n\/a$/m);
    expect(text).toMatch(/^total\s+25\s+30\s+13\s+60\.0%$/m);
    expect(text).toMatch(
      /^ {2}Runners keep cumulative wake-up and claim-query counters per process/m,
    );
    // The note is wrapped for a terminal, not one long line.
    expect(text).not.toContain(report.wakeups.scope);
    expect(text).toMatch(/^dispatches: 12 attempts on 6 issues, 1 duplicate$/m);
    expect(text).toMatch(/^acme\/app#2\s+3\s+crashed, runner_error, succeeded$/m);
    expect(text).toMatch(/^ {2}duplicate: acme\/app#5 attempt 2 started \S+ \S+$/m);
    expect(text).toMatch(/^merge policy: 1 merged, 1 flagged, 1 reverted$/m);
    expect(text).toMatch(
      /^ {2}flagged {2}acme\/app#2 PR #102 at \S+ \S+: required checks still pending after 2h$/m,
    );
    expect(text).toMatch(
      /^ {2}reverted acme\/app#1 PR #101 at .*: post-merge checks failed: ci\/test$/m,
    );
    expect(text).toMatch(
      /^attempts: 12 started, 12 finished \(succeeded 5, crashed 2, lost 1, over_budget 1, runner_error 1, stalled 1, timed_out 1\)$/m,
    );
    expect(text).toMatch(
      /^ {2}stalled 1, timed out 1, crashed 2, lost 1, runner errors 1, adopted 1$/m,
    );
    expect(text).toMatch(/^longest attempt: acme\/app#3 attempt 1, 30m \(stalled\)$/m);
    expect(text).toMatch(
      /^cost: \$1\.75 over 2 attempts \(10 reported none\); most: acme\/app#1 attempt 2 \$1\.25$/m,
    );
    expect(text).toMatch(/^budget stops: 2 daily budgets exhausted, 1 attempt over budget$/m);
    expect(text).toMatch(
      /^ {2}installation 7 spent \$12\.50 of \$10\.00 at \S+ \S+; acme\/app#6 waits$/m,
    );
    expect(text).toMatch(/^ {2}installation 7 spent \$10\.25 of \$10\.00 at \S+ \S+$/m);
    expect(text).toMatch(/^failures by cause: 6 causes, 7 attempts$/m);
    expect(text).toMatch(
      new RegExp(
        `^ {2}2x crashed: exit code <n> {2}\\[${crashedFingerprint()}, infrastructure\\]$`,
        "m",
      ),
    );
    expect(text).toMatch(/^ {5}acme\/app#6 attempt 1: exit code 2$/m);
    expect(text).toMatch(
      /^ {2}1x over_budget: the agent reported a cost of \$<n>, .* and was stopped {2}\[[0-9a-f]{12}\]$/m,
    );
  });

  it("formats the report as markdown for the posted issue", () => {
    const md = formatReportMarkdown(report);
    expect(md).toContain("| r1 | host-a | active |");
    // References are code: a daily report must not leave a "mentioned" event on every issue.
    expect(md).toContain("| `acme/app#2` | 3 | crashed, runner_error, succeeded |");
    expect(md).not.toMatch(/(^|[^`\w/])acme\/app#\d+/m);
    expect(md).toContain("12 attempts on 6 issues; **1 duplicate**.");
    expect(md).toContain("| flagged | `acme/app#2` | `acme/app#102` |");
    expect(md).toMatch(
      /\| reverted \| `acme\/app#1` \| `acme\/app#101` \| \S+ \S+ \| post-merge checks failed: ci\/test \|/,
    );
    expect(md).toContain("| 1 | 1 | 2 | 1 | 1 | 1 |");
    expect(md).toContain(
      `- **2×** \`crashed: exit code <n>\` (fingerprint \`${crashedFingerprint()}\`, infrastructure)`,
    );
    expect(md).toContain(
      "  - `acme/app#2` attempt 2: git push failed: exit code 128 for /var/lib/fleet/worktrees/2-2",
    );
    expect(md).toContain("- duplicate: `acme/app#5` attempt 2, started ");
    expect(md).toMatch(/^- installation 7 spent \$12\.50 of \$10\.00 at .*; `acme\/app#6` waits$/m);
    expect(md.endsWith("\n")).toBe(true);
  });

  it("is plain data: JSON round-trips it unchanged", () => {
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});

function crashedFingerprint(): string {
  return causeFingerprint("crashed: exit code <n>");
}

describe("the report's window", () => {
  const REPO = "acme/clock";
  const at = (time: string) => `2024-05-01T${time}:00Z`;

  it("clips busy time to each UTC hour of the window and leaves out what ran outside it", async () => {
    const before = await enqueue(db, REPO, 1);
    const early = await claim(db, before, "r-clock");
    await finish(db, early, "succeeded", "pr_open", { exitCode: 0 });
    const a = await enqueue(db, REPO, 2);
    const crossing = await claim(db, a, "r-clock");
    await finish(db, crossing, "crashed", "failed", { exitCode: 1 });
    const b = await enqueue(db, REPO, 3);
    const running = await claim(db, b, "r-clock");
    const place = async (id: number, start: string, end: string | null) =>
      db.execute(sql`update attempts set started_at = ${at(start)}::timestamptz,
                     ended_at = ${end === null ? null : at(end)}::timestamptz where id = ${id}`);
    await place(early.attempt.id, "05:00", "06:00");
    await place(crossing.attempt.id, "06:00", "07:15");
    await place(running.attempt.id, "07:30", null);
    await db.execute(sql`update attempts set cost_usd = 0.3 where id = ${crossing.attempt.id}`);

    const report = await collectReport(db, {
      from: new Date(at("06:30")),
      to: new Date(at("09:00")),
      repos: [REPO],
    });
    expect(report.window).toEqual({
      from: "2024-05-01T06:30:00.000Z",
      to: "2024-05-01T09:00:00.000Z",
      ms: 150 * 60_000,
    });
    expect(report.busyByHour).toEqual([
      { hour: "2024-05-01T06:00:00.000Z", busyMs: 30 * 60_000, spanMs: 30 * 60_000 },
      { hour: "2024-05-01T07:00:00.000Z", busyMs: 45 * 60_000, spanMs: 60 * 60_000 },
      { hour: "2024-05-01T08:00:00.000Z", busyMs: 60 * 60_000, spanMs: 60 * 60_000 },
    ]);
    expect(report.dispatches.perIssue).toEqual([
      { repo: REPO, issue: 3, dispatches: 1, outcomes: ["running"] },
    ]);
    expect(report.attempts.finished).toBe(1);
    expect(report.attempts.byOutcome).toEqual({ crashed: 1 });
    expect(report.longestAttempt).toEqual({
      repo: REPO,
      issue: 3,
      attempt: 1,
      runtimeMs: 90 * 60_000,
      outcome: null,
    });
    expect(report.cost.totalUsd).toBe(0.3);
    // The runner registered now, long after this window: its counters say nothing about it.
    expect(report.wakeups.runners).toEqual([]);

    const text = formatReportText(report);
    expect(text).toContain("2024-05-01 06:30 to 2024-05-01 09:00 UTC (2h30m), acme/clock");
    expect(text).toMatch(/^06:00\s+30m\s+1\.00$/m);
    expect(text).toMatch(/^07:00\s+45m\s+0\.75$/m);
    expect(text).toMatch(/^08:00\s+1h\s+1\.00$/m);
    expect(text).toMatch(/^longest attempt: acme\/clock#3 attempt 1, 1h30m \(still running\)$/m);
    expect(text).toContain("no runner renewed its lease in the window");
  });
});
