import { sql } from "drizzle-orm";
import { pino } from "pino";
import { beforeAll, describe, expect, it } from "vitest";
import { type Clock, createClock } from "../../src/config/clock.js";
import { DEFAULT_FLEET_CONFIG } from "../../src/config/fleet-config.js";
import type { Db } from "../../src/db/client.js";
import { getRepoState } from "../../src/db/queries/index.js";
import {
  type ReportRound,
  type ReportSchedulerDeps,
  runReportRound,
  startReportScheduler,
} from "../../src/report/scheduler.js";
import {
  groupReportTargets,
  latestSlot,
  nextSlot,
  repoReportConfigs,
  todaysSlot,
} from "../../src/report/targets.js";
import { useTestDatabase } from "../support/db.js";
import { fakeReportGitHub, installationBarrier } from "./support/fake-github.js";
import { claim, enqueue, finish } from "./support/history.js";

const database = useTestDatabase();
let db: Db;

beforeAll(() => {
  db = database.db;
});

const log = pino({ level: "silent" });
const DAY = 86_400_000;
const report = (settings: Record<string, unknown>) => ({ report: settings });

describe("report slots", () => {
  const noon = Date.UTC(2024, 4, 1, 12, 0);
  it.each([
    ["07:00", noon, Date.UTC(2024, 4, 1, 7), Date.UTC(2024, 4, 1, 7), Date.UTC(2024, 4, 2, 7)],
    ["12:00", noon, noon, noon, noon + DAY],
    [
      "23:30",
      noon,
      Date.UTC(2024, 4, 1, 23, 30),
      Date.UTC(2024, 4, 0, 23, 30),
      Date.UTC(2024, 4, 1, 23, 30),
    ],
    ["00:00", noon, Date.UTC(2024, 4, 1), Date.UTC(2024, 4, 1), Date.UTC(2024, 4, 2)],
  ])("at %s, now %d: today %d, latest %d, next %d", (at, now, today, latest, next) => {
    expect(todaysSlot(at, now)).toBe(today);
    expect(latestSlot(at, now)).toBe(latest);
    expect(nextSlot(at, now)).toBe(next);
  });
});

describe("report targets", () => {
  const parsed = (settings: Record<string, unknown>) => {
    const result = DEFAULT_FLEET_CONFIG.report;
    return { ...result, ...settings } as typeof result;
  };

  it("groups repos by where their report and their failure issues go", () => {
    const targets = groupReportTargets([
      { repo: "acme/app", report: parsed({ post: "acme/reports", at: "07:00", fileIssues: true }) },
      { repo: "acme/lib", report: parsed({ post: "acme/reports", at: "06:30", window: 2 * DAY }) },
      { repo: "acme/solo", report: parsed({ fileIssues: true }) },
      { repo: "acme/quiet", report: parsed({}) },
    ]);
    expect(targets).toEqual([
      {
        target: "acme/reports",
        postRepos: ["acme/app", "acme/lib"],
        fileRepos: ["acme/app"],
        at: "06:30",
        windowMs: 2 * DAY,
      },
      { target: "acme/solo", postRepos: [], fileRepos: ["acme/solo"], at: "07:00", windowMs: DAY },
    ]);
  });
});

/** Resolves once `count` rounds were reported through `onRound`. */
function rounds(count: number) {
  const seen: ReportRound[] = [];
  let done!: () => void;
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  return {
    seen,
    all,
    onRound: (round: ReportRound) => {
      seen.push(round);
      if (seen.length === count) done();
    },
  };
}

describe("the daily report run", () => {
  it("posts each target's report once and files each new cause once under two schedulers", async () => {
    const old = await enqueue(db, "acme/app", 1, { config: report({ post: "acme/old" }) });
    await finish(db, await claim(db, old, "r1"), "succeeded", "pr_open", { exitCode: 0 });
    const app = await enqueue(db, "acme/app", 2, {
      config: report({ post: "acme/reports", at: "00:00", fileIssues: true }),
    });
    await finish(db, await claim(db, app, "r1"), "crashed", "failed", { exitCode: 1 });
    const lib = await enqueue(db, "acme/lib", 1, {
      config: report({ post: "acme/reports", at: "06:00" }),
    });
    await finish(db, await claim(db, lib, "r1"), "crashed", "failed", { exitCode: 4 });
    const solo = await enqueue(db, "acme/solo", 1, {
      config: report({ fileIssues: true, at: "00:00" }),
    });
    await finish(db, await claim(db, solo, "r1"), "runner_error", "failed", {
      set: { lastError: "disk full at /data/worktrees/1-1" },
    });
    const quiet = await enqueue(db, "acme/quiet", 1, { config: {} });
    await finish(db, await claim(db, quiet, "r1"), "crashed", "failed", { exitCode: 1 });

    // Both runners see each target due before either claims it: the claim alone decides.
    const github = fakeReportGitHub({ installationOf: installationBarrier(2, 77) });
    const watch = rounds(2);
    const deps: ReportSchedulerDeps = {
      db,
      clock: createClock(1),
      log,
      github,
      onRound: watch.onRound,
    };
    const schedulers = [startReportScheduler(deps), startReportScheduler(deps)];
    await watch.all;
    await Promise.all(schedulers.map((s) => s.stop()));

    const today = new Date().toISOString().slice(0, 10);
    expect(github.issues.map((i) => [i.repo, i.title, i.labels])).toEqual(
      expect.arrayContaining([
        ["acme/reports", `agent-fleet report ${today}`, ["fleet:report"]],
        ["acme/reports", "agent-fleet failure: crashed: exit code <n>", ["fleet:infrastructure"]],
        [
          "acme/solo",
          "agent-fleet failure: runner_error: disk full at <path>",
          ["fleet:infrastructure"],
        ],
      ]),
    );
    expect(github.issues).toHaveLength(3);
    const posted = github.issues.find((i) => i.title.startsWith("agent-fleet report"));
    expect(posted?.body).toContain(", acme/app, acme/lib\n");
    expect(posted?.body).toContain("| `acme/app#2` | 1 | crashed |");
    expect(posted?.body).toContain("| `acme/lib#1` | 1 | crashed |");
    expect(posted?.body).not.toContain("acme/solo");
    expect(posted?.body).not.toContain("acme/quiet");
    const filed = github.issues.find((i) => i.title.includes("crashed"));
    expect(filed?.body).toContain("- acme/app#2 attempt 1 (");
    // acme/lib does not file issues: its crash is in the report, not in the filed issue.
    expect(filed?.body).not.toContain("acme/lib");

    expect(watch.seen.flatMap((r) => r.posted)).toEqual([
      { target: "acme/reports", issue: posted?.number },
    ]);
    for (const target of ["acme/reports", "acme/solo"]) {
      const state = await getRepoState(db, target);
      expect(state?.reportPostedAt).toBeInstanceOf(Date);
      expect(state?.installationId).toBe(77);
    }
    expect(await getRepoState(db, "acme/old")).toBeNull();
    const causes = await db.execute<{ cause: string; issue_repo: string; occurrences: number }>(
      sql`select cause, issue_repo, occurrences from failure_causes order by cause`,
    );
    expect(causes.rows).toEqual([
      { cause: "crashed: exit code <n>", issue_repo: "acme/reports", occurrences: 1 },
      { cause: "runner_error: disk full at <path>", issue_repo: "acme/solo", occurrences: 1 },
    ]);

    // Later the same day: nothing is due.
    const again = await runReportRound(deps);
    expect(again.posted).toEqual([]);
    expect(again.causes).toEqual([]);
    expect(github.issues).toHaveLength(3);
    expect(again.nextDueAt).toBe(nextSlot("00:00", Date.now()));
  });

  it("gives the day back when the post fails, and posts on the next round", async () => {
    const beta = await enqueue(db, "beta/app", 1, {
      config: report({ post: "beta/reports", at: "00:00" }),
    });
    await finish(db, await claim(db, beta, "r1"), "succeeded", "pr_open", { exitCode: 0 });
    let failures = 1;
    const github = fakeReportGitHub({ failNext: () => failures-- > 0 });
    const deps: ReportSchedulerDeps = { db, clock: createClock(1), log, github };

    const first = await runReportRound(deps);
    expect(first.posted).toEqual([]);
    expect((await getRepoState(db, "beta/reports"))?.reportPostedAt).toBeNull();

    const second = await runReportRound(deps);
    expect(second.posted).toEqual([{ target: "beta/reports", issue: 1 }]);
    expect(github.issues.map((i) => i.repo)).toEqual(["beta/reports"]);
  });

  it("waits for today's report.at before a target's first run", async () => {
    const gamma = await enqueue(db, "gamma/app", 1, {
      config: report({ post: "gamma/reports", at: "23:59" }),
    });
    await finish(db, await claim(db, gamma, "r1"), "succeeded", "pr_open", { exitCode: 0 });
    const midnight = Math.floor(Date.now() / DAY) * DAY;
    let now = midnight + 60_000;
    const clock: Clock = { ...createClock(1), now: () => now };
    const github = fakeReportGitHub();
    const deps: ReportSchedulerDeps = { db, clock, log, github };

    const early = await runReportRound(deps);
    expect(early.posted).toEqual([]);
    expect(early.nextDueAt).toBe(midnight + DAY - 60_000);

    now = midnight + DAY - 30_000;
    const due = await runReportRound(deps);
    expect(due.posted).toEqual([{ target: "gamma/reports", issue: 1 }]);
    expect((await getRepoState(db, "gamma/reports"))?.reportPostedAt?.getTime()).toBe(now);
    expect((await repoReportConfigs(db)).find((c) => c.repo === "gamma/app")?.report.at).toBe(
      "23:59",
    );
  });
});
