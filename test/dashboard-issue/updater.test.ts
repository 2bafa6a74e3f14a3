import { eq } from "drizzle-orm";
import { pino } from "pino";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createClock } from "../../src/config/clock.js";
import type { DashboardSyncOutcome } from "../../src/dashboard-issue/sync.js";
import {
  type DashboardIssueUpdater,
  startDashboardIssueUpdater,
} from "../../src/dashboard-issue/updater.js";
import type { Db } from "../../src/db/client.js";
import { enqueueTask, recordEvent } from "../../src/db/queries/index.js";
import { repoStates } from "../../src/db/schema.js";
import { transitionTask } from "../../src/db/transition.js";
import { taskInput } from "../db/fixtures.js";
import { useTestDatabase } from "../support/db.js";
import { fakeIssues, outcomeLog } from "./support.js";

const database = useTestDatabase({ truncate: ["events", "tasks", "repo_states"] });
let db: Db;
const log = pino({ level: "silent" });
// 5 s configured at 20x: a 250 ms window, far wider than one transaction's notifications.
const clock = createClock(20);
const REPO = "octo/updated";
let running: DashboardIssueUpdater[] = [];

type Outcome = DashboardSyncOutcome | { kind: "error"; error: unknown };

beforeAll(() => {
  db = database.db;
});
afterEach(async () => {
  await Promise.all(running.map((u) => u.stop()));
  running = [];
});

async function startUpdater(gh: ReturnType<typeof fakeIssues>) {
  const outcomes = outcomeLog<{ repo: string; outcome: Outcome }>();
  const updater = await startDashboardIssueUpdater({
    db,
    databaseUrl: database.url,
    clock,
    log,
    github: gh.factory,
    onSynced: (repo, outcome) => outcomes.record({ repo, outcome }),
  });
  running.push(updater);
  return outcomes;
}

const input = (issueNumber: number, config: Record<string, unknown> = {}) =>
  taskInput({ repoFullName: REPO, issueNumber, issueTitle: `Issue ${issueNumber}`, config });

async function enqueueMany(issues: number[], config: Record<string, unknown> = {}) {
  const ids: number[] = [];
  // One transaction: its events reach the updater together, inside one window.
  await db.transaction(async (tx) => {
    for (const issue of issues) {
      const { task } = await enqueueTask(tx, input(issue, config));
      if (task) ids.push(task.id);
    }
  });
  return ids;
}

const forRepo =
  (kind?: Outcome["kind"]) =>
  ({ repo, outcome }: { repo: string; outcome: Outcome }) =>
    repo === REPO && (kind === undefined || outcome.kind === kind);

describe("the dashboard issue updater", () => {
  it("turns several events of one window into one write, and an unchanged body into none", async () => {
    const gh = fakeIssues();
    const outcomes = await startUpdater(gh);

    const created = outcomes.next(forRepo());
    const [first] = await enqueueMany([1, 2, 3]);
    expect((await created).outcome).toEqual({ kind: "created", issue: 100 });
    expect(gh.writes).toEqual(["create #100"]);
    expect(gh.issues.get(100)?.body).toMatch(/## Queued \(3\)\n- #1 Issue 1\n- #2 Issue 2\n- #3/);

    // An event that changes nothing on the dashboard: rendered, compared, not written.
    const unchanged = outcomes.next(forRepo());
    await recordEvent(db, { taskId: first, kind: "comment_posted" });
    expect((await unchanged).outcome).toEqual({ kind: "unchanged", issue: 100 });
    expect(gh.writes).toEqual(["create #100"]);

    const updated = outcomes.next(forRepo());
    await transitionTask(db, { taskId: first as number, to: "failed", set: { lastError: "boom" } });
    expect((await updated).outcome).toMatchObject({ kind: "updated", issue: 100 });
    expect(gh.writes).toEqual(["create #100", "update #100"]);
    expect(gh.issues.get(100)?.body).toContain(`- [ ] <!-- fleet-retry:${first} --> retry #1`);
    expect(outcomes.seen.filter(forRepo())).toHaveLength(3);
  });

  it("with two updaters on one GitHub, creates the issue once and writes each change once", async () => {
    const gh = fakeIssues();
    const a = await startUpdater(gh);
    const b = await startUpdater(gh);

    let both = Promise.all([a.next(forRepo()), b.next(forRepo())]);
    const [first] = await enqueueMany([1]);
    const kinds = (await both).map((r) => r.outcome.kind).sort();
    expect(kinds).toEqual(["created", "unchanged"]);
    expect(gh.writes).toEqual(["create #100"]);

    both = Promise.all([a.next(forRepo()), b.next(forRepo())]);
    await transitionTask(db, { taskId: first as number, to: "failed" });
    const after = (await both).map((r) => r.outcome.kind).sort();
    expect(after).toEqual(["unchanged", "updated"]);
    expect(gh.writes).toEqual(["create #100", "update #100"]);
  });

  it("closes the issue once the newest task's fleet.yml says `dashboard: false`", async () => {
    const gh = fakeIssues();
    const outcomes = await startUpdater(gh);
    const created = outcomes.next(forRepo("created"));
    await enqueueMany([1]);
    await created;

    const closed = outcomes.next(forRepo());
    await enqueueMany([2], { dashboard: false });
    expect((await closed).outcome).toEqual({ kind: "closed", issue: 100 });
    expect(gh.issues.get(100)?.state).toBe("closed");

    const off = outcomes.next(forRepo());
    await enqueueMany([3], { dashboard: false });
    expect((await off).outcome).toEqual({ kind: "off" });
    expect(gh.writes).toEqual(["create #100", "close #100"]);
  });

  it("opens no issue in a repository whose fleet.yml turns it off from the start", async () => {
    const gh = fakeIssues();
    const outcomes = await startUpdater(gh);
    const off = outcomes.next(forRepo());
    await enqueueMany([1, 2], { dashboard: false });
    expect((await off).outcome).toEqual({ kind: "off" });
    expect(gh.writes).toEqual([]);
    expect(gh.issues.size).toBe(0);
  });

  it("follows events that carry their repo only in their data (a pause without a task)", async () => {
    const gh = fakeIssues();
    const outcomes = await startUpdater(gh);
    const created = outcomes.next(forRepo("created"));
    await enqueueMany([1]);
    await created;

    const updated = outcomes.next(forRepo());
    await db
      .update(repoStates)
      .set({ pausedAt: new Date(), pausedReason: "red main" })
      .where(eq(repoStates.repoFullName, REPO));
    await recordEvent(db, { kind: "repo_paused", data: { repo: REPO, reason: "red main" } });
    expect((await updated).outcome).toMatchObject({ kind: "updated" });
    expect(gh.issues.get(100)?.body).toContain("**Paused** since");
  });

  it("retries a failed GitHub write by itself", async () => {
    const gh = fakeIssues();
    const outcomes = await startUpdater(gh);
    const created = outcomes.next(forRepo("created"));
    const [first] = await enqueueMany([1]);
    await created;

    gh.failures.update = 1;
    const failed = outcomes.next(forRepo("error"));
    const retried = outcomes.next(forRepo("updated"));
    await transitionTask(db, { taskId: first as number, to: "failed" });
    await failed;
    // The retry waits 60 s configured (3 s at this clock), then writes the body.
    expect((await retried).outcome).toMatchObject({ kind: "updated", issue: 100 });
    expect(gh.issues.get(100)?.body).toContain("retry #1");
  });
});
