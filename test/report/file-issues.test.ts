import { sql } from "drizzle-orm";
import { pino } from "pino";
import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { causeFingerprint } from "../../src/report/causes.js";
import { fileFailureIssues } from "../../src/report/file-issues.js";
import { waitFor } from "../runner/support/wait-for.js";
import { useTestDatabase } from "../support/db.js";
import { fakeReportGitHub } from "./support/fake-github.js";
import { claim, enqueue, finish } from "./support/history.js";

const database = useTestDatabase();
let db: Db;

beforeAll(() => {
  db = database.db;
});

const log = pino({ level: "silent" });
const at = (time: string) => new Date(`2024-05-01T${time}:00Z`);

/** A failed attempt of `repo#issue` that ended at `time` on 2024-05-01. */
async function failure(
  repo: string,
  issue: number,
  time: string,
  outcome: string,
  extra: { exitCode?: number; lastError?: string } = {},
): Promise<void> {
  const task = await enqueue(db, repo, issue);
  const claimed = await claim(db, task, "r1");
  await finish(db, claimed, outcome, outcome === "no_changes" ? "no_changes" : "failed", {
    ...(extra.exitCode === undefined ? {} : { exitCode: extra.exitCode }),
    ...(extra.lastError ? { set: { lastError: extra.lastError } } : {}),
  });
  await db.execute(sql`update attempts
    set started_at = ${at(time).toISOString()}::timestamptz - interval '5 minutes',
        ended_at = ${at(time).toISOString()}::timestamptz
    where id = ${claimed.attempt.id}`);
}

async function causeRow(fingerprint: string) {
  const { rows } = await db.execute<{
    issue_repo: string | null;
    issue_number: number | null;
    occurrences: number;
    first_seen_at: string;
    last_seen_at: string;
  }>(sql`select issue_repo, issue_number, occurrences, first_seen_at, last_seen_at
         from failure_causes where fingerprint = ${fingerprint}`);
  return rows[0];
}

describe("report.fileIssues", () => {
  const CRASHED = causeFingerprint("crashed: exit code <n>");
  const DISK = causeFingerprint("runner_error: disk full on <path>");

  it("files one issue per new cause across two runs and counts later sightings", async () => {
    await failure("acme/app", 1, "07:00", "crashed", { exitCode: 1 });
    await failure("acme/app", 2, "07:10", "crashed", { exitCode: 2 });
    await failure("acme/app", 3, "07:20", "no_changes");
    const github = fakeReportGitHub();
    const deps = { db, github, log };
    const input = { target: "acme/reports", repos: ["acme/app"] };

    const first = await fileFailureIssues(deps, { ...input, from: at("06:00"), to: at("08:00") });
    expect(first).toEqual([
      {
        fingerprint: CRASHED,
        cause: "crashed: exit code <n>",
        issue: { repo: "acme/reports", number: 1 },
        filed: true,
        occurrences: 2,
      },
    ]);
    expect(github.issues).toHaveLength(1);
    expect(github.issues[0]).toMatchObject({
      repo: "acme/reports",
      title: "agent-fleet failure: crashed: exit code <n>",
      labels: ["fleet:infrastructure"],
    });
    expect(github.issues[0]?.body).toContain(`- fingerprint: \`${CRASHED}\``);
    expect(github.issues[0]?.body).toContain(
      "- acme/app#1 attempt 1 (2024-05-01 07:00 UTC): exit code 1",
    );
    expect(github.issues[0]?.body).toContain(
      "- acme/app#2 attempt 1 (2024-05-01 07:10 UTC): exit code 2",
    );
    expect(github.issues[0]?.body).toContain(
      "first seen: 2024-05-01 07:00 UTC; 2 occurrences so far",
    );

    await failure("acme/app", 4, "08:30", "crashed", { exitCode: 9 });
    await failure("acme/app", 5, "08:40", "runner_error", { lastError: "disk full on /dev/sda1" });
    const second = await fileFailureIssues(deps, { ...input, from: at("08:00"), to: at("10:00") });
    expect(second).toEqual([
      {
        fingerprint: CRASHED,
        cause: "crashed: exit code <n>",
        issue: { repo: "acme/reports", number: 1 },
        filed: false,
        occurrences: 3,
      },
      {
        fingerprint: DISK,
        cause: "runner_error: disk full on <path>",
        issue: { repo: "acme/reports", number: 2 },
        filed: true,
        occurrences: 1,
      },
    ]);
    expect(github.issues.map((i) => i.title)).toEqual([
      "agent-fleet failure: crashed: exit code <n>",
      "agent-fleet failure: runner_error: disk full on <path>",
    ]);
    const crashed = await causeRow(CRASHED);
    expect(crashed).toMatchObject({ issue_repo: "acme/reports", issue_number: 1, occurrences: 3 });
    expect(new Date(crashed?.first_seen_at ?? 0)).toEqual(at("07:00"));
    expect(new Date(crashed?.last_seen_at ?? 0)).toEqual(at("08:30"));
    // Not an infrastructure failure: never recorded, never filed.
    expect(await causeRow(causeFingerprint("no_changes"))).toBeUndefined();
  });

  it("files a cause once when two runners see it at the same time", async () => {
    await failure("acme/race", 1, "11:00", "stalled");
    // The first runner opens the issue only once the second is blocked on the cause's row: both
    // have seen the cause as new, and the lock alone keeps the second from filing it again.
    const github = fakeReportGitHub({
      beforeCreate: () =>
        waitFor(
          "the other runner to wait on the cause's row lock",
          async () => {
            const { rows } = await db.execute<{ n: number }>(sql`
              select count(*)::int as n from pg_stat_activity
              where datname = current_database() and wait_event_type = 'Lock'`);
            return (rows[0]?.n ?? 0) > 0;
          },
          { timeoutMs: 10_000 },
        ).then(() => undefined),
    });
    const window = {
      target: "acme/race",
      repos: ["acme/race"],
      from: at("10:30"),
      to: at("11:30"),
    };
    const results = await Promise.all([
      fileFailureIssues({ db, github, log }, window),
      fileFailureIssues({ db, github, log }, window),
    ]);
    expect(github.issues.map((i) => i.title)).toEqual(["agent-fleet failure: stalled"]);
    expect(results.flat().filter((s) => s.filed)).toHaveLength(1);
    expect(results.flat().map((s) => s.issue)).toEqual([
      { repo: "acme/race", number: 1 },
      { repo: "acme/race", number: 1 },
    ]);
  });

  it("tries again at the next sighting when filing failed", async () => {
    await failure("acme/flaky", 1, "12:00", "timed_out", { lastError: "no output for 30m" });
    const fingerprint = causeFingerprint("timed_out: no output for <duration>");
    let failures = 1;
    const github = fakeReportGitHub({ failNext: () => failures-- > 0 });
    const input = { target: "acme/flaky", repos: ["acme/flaky"] };

    const first = await fileFailureIssues(
      { db, github, log },
      { ...input, from: at("11:30"), to: at("12:30") },
    );
    expect(first).toEqual([expect.objectContaining({ fingerprint, issue: null, filed: false })]);
    expect((await causeRow(fingerprint))?.issue_number).toBeNull();

    await failure("acme/flaky", 2, "13:00", "timed_out", { lastError: "no output for 45m" });
    const second = await fileFailureIssues(
      { db, github, log },
      { ...input, from: at("12:30"), to: at("13:30") },
    );
    expect(second).toEqual([
      expect.objectContaining({
        fingerprint,
        issue: { repo: "acme/flaky", number: 1 },
        filed: true,
      }),
    ]);
    expect(github.issues).toHaveLength(1);
    expect((await causeRow(fingerprint))?.occurrences).toBe(2);
  });
});
