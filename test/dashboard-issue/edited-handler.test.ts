import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import nock from "nock";
import { pino } from "pino";
import type { Probot } from "probot";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createClock } from "../../src/config/clock.js";
import { DEFAULT_FLEET_CONFIG } from "../../src/config/fleet-config.js";
import { tickedRetries } from "../../src/dashboard-issue/checkboxes.js";
import { type DashboardSyncOutcome, syncDashboardIssue } from "../../src/dashboard-issue/sync.js";
import {
  type DashboardIssueUpdater,
  startDashboardIssueUpdater,
} from "../../src/dashboard-issue/updater.js";
import type { Db } from "../../src/db/client.js";
import { enqueueTask } from "../../src/db/queries/index.js";
import { events, repoStates, tasks } from "../../src/db/schema.js";
import { fleetApp } from "../../src/handlers/index.js";
import { API, strictNock } from "../helpers/github-nock.js";
import { issuesPayload } from "../helpers/payloads.js";
import { testProbot } from "../helpers/probot.js";
import { useTestDatabase } from "../support/db.js";
import { fakeIssues, outcomeLog } from "./support.js";

const REPO_NAME = "Codertocat/Hello-World";
const REPO = `/repos/${REPO_NAME}`;
const log = pino({ level: "silent" });
let db: Db;
let probot: Probot;
let updater: DashboardIssueUpdater | undefined;

strictNock();

const database = useTestDatabase({ truncate: ["events", "tasks", "repo_states"] });
beforeAll(() => {
  db = database.db;
});
beforeEach(async () => {
  probot = testProbot();
  await probot.load(fleetApp({ db }));
});
afterEach(async () => {
  await updater?.stop();
  updater = undefined;
});

/** A failed task on issue 1 and the dashboard issue listing it, opened in a fake GitHub. */
async function dashboardWithFailedTask() {
  const { task } = await enqueueTask(db, {
    repoFullName: REPO_NAME,
    repoId: 1,
    installationId: 4242,
    issueNumber: 1,
    issueTitle: "Spelling error in the README file",
    issueBody: "",
    defaultBranch: "main",
    cloneUrl: "file:///dev/null",
    requestedBy: "Codertocat",
    config: DEFAULT_FLEET_CONFIG,
  });
  if (!task) throw new Error("no task");
  await db.update(tasks).set({ state: "failed", attempt: 3 }).where(eq(tasks.id, task.id));
  const gh = fakeIssues();
  const made = await syncDashboardIssue({ db, log }, gh.factory, REPO_NAME);
  if (made.kind !== "created") throw new Error(`dashboard not created: ${made.kind}`);
  const body = gh.issues.get(made.issue)?.body ?? "";
  const ticked = body.replace(
    `- [ ] <!-- fleet-retry:${task.id} -->`,
    `- [x] <!-- fleet-retry:${task.id} -->`,
  );
  expect(tickedRetries(ticked)).toEqual(new Set([task.id]));
  return { taskId: task.id, issue: made.issue, body, ticked, gh };
}

/**
 * The fleet's updater on the fake GitHub, reporting each sync; resolves once its start-up pass
 * over the repos with a dashboard found this one current.
 */
async function startUpdater(gh: ReturnType<typeof fakeIssues>) {
  const outcomes = outcomeLog<DashboardSyncOutcome | { kind: "error" }>();
  const caughtUp = outcomes.next();
  updater = await startDashboardIssueUpdater({
    db,
    databaseUrl: database.url,
    clock: createClock(50),
    log,
    github: gh.factory,
    onSynced: (_repo, outcome) => outcomes.record(outcome),
  });
  expect(await caughtUp).toMatchObject({ kind: "unchanged" });
  return outcomes;
}

function editedPayload(
  issue: number,
  body: string,
  from: string,
  sender: { login: string; type: string } = { login: "Codertocat", type: "User" },
) {
  const payload = issuesPayload("opened", { number: issue });
  payload.action = "edited";
  payload.issue.body = body;
  payload.changes = { body: { from } };
  payload.sender = { ...payload.sender, ...sender };
  return payload;
}

const receive = (payload: object, id = randomUUID()) =>
  probot.receive({ id, name: "issues", payload } as Parameters<Probot["receive"]>[0]);

function permission(role: string) {
  nock(API)
    .post("/app/installations/4242/access_tokens")
    .reply(201, { token: "ghs_test", expires_at: "2099-01-01T00:00:00Z" });
  nock(API)
    .get(`${REPO}/collaborators/Codertocat/permission`)
    .reply(200, { permission: role, role_name: role });
}

const taskState = async (id: number) => (await db.select().from(tasks).where(eq(tasks.id, id)))[0];
const storedHash = async () =>
  (await db.select().from(repoStates).where(eq(repoStates.repoFullName, REPO_NAME)))[0]
    ?.dashboardBodyHash;

describe("ticking a retry box on the dashboard issue", () => {
  it("queues a writer's retry like /fleet retry, and the re-render unticks the box", async () => {
    const dash = await dashboardWithFailedTask();
    const outcomes = await startUpdater(dash.gh);
    permission("write");
    nock(API).delete(`${REPO}/issues/1/labels/fleet%3Afailed`).reply(200, []);
    nock(API)
      .post(`${REPO}/issues/1/comments`, (b: { body: string }) => /asked for a retry/.test(b.body))
      .reply(201, { id: 1 });

    const rendered = outcomes.next((o) => o.kind === "updated");
    await receive(editedPayload(dash.issue, dash.ticked, dash.body));
    expect(await taskState(dash.taskId)).toMatchObject({ state: "queued", attemptBase: 3 });
    const requested = await db.select().from(events).where(eq(events.kind, "retry_requested"));
    expect(requested.map((e) => e.data.by)).toEqual(["Codertocat"]);

    await rendered;
    const body = dash.gh.issues.get(dash.issue)?.body ?? "";
    expect(tickedRetries(body)).toEqual(new Set());
    expect(body).toContain("## Queued (1)\n- #1 Spelling error in the README file");
    expect(body).not.toContain("fleet-retry:");
  });

  it("does not queue a non-writer's tick: a polite refusal, and the box is unticked", async () => {
    const dash = await dashboardWithFailedTask();
    const outcomes = await startUpdater(dash.gh);
    permission("read");
    nock(API)
      .post(`${REPO}/issues/${dash.issue}/comments`, (b: { body: string }) =>
        /only retries tasks for people with write.*box was not acted on/.test(b.body),
      )
      .reply(201, { id: 1 });
    // What GitHub holds after the human's edit.
    const held = dash.gh.issues.get(dash.issue);
    if (held) held.body = dash.ticked;

    const rendered = outcomes.next((o) => o.kind === "updated");
    await receive(editedPayload(dash.issue, dash.ticked, dash.body));
    expect((await taskState(dash.taskId))?.state).toBe("failed");
    await rendered;
    const body = dash.gh.issues.get(dash.issue)?.body ?? "";
    expect(body).toBe(dash.body);
    expect(tickedRetries(body)).toEqual(new Set());
  });

  it("ignores the fleet's own edits of the dashboard, and edits of other issues", async () => {
    const dash = await dashboardWithFailedTask();
    const hash = await storedHash();
    expect(hash).not.toBeNull();
    const bot = { login: "agent-fleet[bot]", type: "Bot" };
    await receive(editedPayload(dash.issue, dash.ticked, dash.body, bot));
    await receive(editedPayload(dash.issue + 1, dash.ticked, dash.body));
    expect((await taskState(dash.taskId))?.state).toBe("failed");
    expect(await storedHash()).toBe(hash);
    expect(await db.select().from(events).where(eq(events.kind, "retry_requested"))).toEqual([]);
  });

  it("acts once on a redelivered edit", async () => {
    const dash = await dashboardWithFailedTask();
    permission("write");
    nock(API).delete(`${REPO}/issues/1/labels/fleet%3Afailed`).reply(200, []);
    nock(API).post(`${REPO}/issues/1/comments`).reply(201, { id: 1 });
    const delivery = randomUUID();
    await receive(editedPayload(dash.issue, dash.ticked, dash.body), delivery);
    nock(API)
      .get(`${REPO}/collaborators/Codertocat/permission`)
      .reply(200, { permission: "write", role_name: "write" });
    await receive(editedPayload(dash.issue, dash.ticked, dash.body), delivery);
    const requested = await db.select().from(events).where(eq(events.kind, "retry_requested"));
    expect(requested).toHaveLength(1);
  });
});
