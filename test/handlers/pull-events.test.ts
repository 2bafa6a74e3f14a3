import { randomUUID } from "node:crypto";
import examples from "@octokit/webhooks-examples";
import { eq, sql } from "drizzle-orm";
import nock from "nock";
import type { Probot } from "probot";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { enqueueTask } from "../../src/db/queries/enqueue.js";
import { type Task, tasks } from "../../src/db/schema.js";
import type { TaskState } from "../../src/db/task-states.js";
import { fleetApp } from "../../src/handlers/index.js";
import { taskInput } from "../db/fixtures.js";
import { API, strictNock } from "../helpers/github-nock.js";
import { testProbot } from "../helpers/probot.js";
import { createTestDatabase } from "../support/db.js";

const REPO = "/repos/Codertocat/Hello-World";

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;
let probot: Probot;

strictNock();

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});
beforeEach(async () => {
  await db.execute(sql`truncate tasks, attempts, events, webhook_deliveries, repo_states cascade`);
  probot = testProbot();
  await probot.load(fleetApp({ db }));
});

type Example = Record<string, unknown> & { action?: string };

/** A real payload from @octokit/webhooks-examples, with an installation, edited by the test. */
// biome-ignore lint/suspicious/noExplicitAny: fixture payloads are edited in place
function payload(event: string, action?: string): Record<string, any> {
  const group = (examples as unknown as { name: string; examples: Example[] }[]).find(
    (e) => e.name === event,
  );
  const source = group?.examples.find((e) => action === undefined || e.action === action);
  if (!source) throw new Error(`no ${event}.${action} example`);
  const copy = structuredClone(source) as Record<string, unknown>;
  copy.installation = { id: 4242, node_id: "MDIzOkludGVncmF0aW9uNDI0Mg==" };
  return copy;
}

async function receive(name: string, body: object) {
  await probot.receive({ id: randomUUID(), name, payload: body } as Parameters<
    Probot["receive"]
  >[0]);
}

async function fleetTask(state: TaskState, set: Partial<Task>): Promise<Task> {
  const { task } = await enqueueTask(db, taskInput({ repoFullName: "Codertocat/Hello-World" }));
  if (!task) throw new Error("no task");
  const [row] = await db
    .update(tasks)
    .set({ state, ...set })
    .where(eq(tasks.id, task.id))
    .returning();
  if (!row) throw new Error("no row");
  return row;
}

const reload = async (id: number) => (await db.select().from(tasks).where(eq(tasks.id, id)))[0];

describe("pull request events", () => {
  it("pull_request.closed without a merge cancels the fleet's task, with no GitHub call", async () => {
    const body = payload("pull_request", "closed");
    body.pull_request.merged = false;
    const task = await fleetTask("pr_open", { prNumber: body.pull_request.number });
    await receive("pull_request", body);
    expect((await reload(task.id))?.state).toBe("cancelled");
  });

  it("a review on a PR the fleet did not open is ignored", async () => {
    await receive("pull_request_review", payload("pull_request_review", "submitted"));
    expect(await db.select().from(tasks)).toEqual([]);
  });
});

describe("check events", () => {
  it("the fleet's own check runs never come back to be judged", async () => {
    const body = payload("check_run", "completed");
    body.check_run.name = "fleet/policy";
    const task = await fleetTask("pr_open", { prNumber: 2, headSha: body.check_run.head_sha });
    await receive("check_run", body);
    expect((await reload(task.id))?.decision).toBeNull();
  });

  it("a green status on a merge commit verifies the task and closes its issue", async () => {
    const body = payload("status");
    body.state = "success";
    const task = await fleetTask("merged", { prNumber: 2, mergeSha: body.sha, issueNumber: 9 });
    nock(API)
      .post("/app/installations/4242/access_tokens")
      .reply(201, { token: "ghs_test", expires_at: "2099-01-01T00:00:00Z" });
    nock(API)
      .get(`${REPO}/commits/${body.sha}/check-runs`)
      .query(true)
      .reply(200, { total_count: 0, check_runs: [] });
    nock(API)
      .get(`${REPO}/commits/${body.sha}/status`)
      .query(true)
      .reply(200, {
        state: "success",
        statuses: [{ context: "default", state: "success", description: "ok", target_url: null }],
      });
    nock(API).get(`${REPO}/issues/9`).reply(200, { state: "open" });
    nock(API).patch(`${REPO}/issues/9`).reply(200, {});
    await receive("status", body);
    expect((await reload(task.id))?.state).toBe("verified");
  });
});
