import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import nock from "nock";
import type { Probot } from "probot";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_FLEET_CONFIG } from "../../src/config/fleet-config.js";
import type { Db } from "../../src/db/client.js";
import { enqueueTask } from "../../src/db/queries/index.js";
import { events, tasks } from "../../src/db/schema.js";
import { fleetApp } from "../../src/handlers/index.js";
import { API, strictNock } from "../helpers/github-nock.js";
import { commentPayload } from "../helpers/payloads.js";
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
afterAll(async () => database?.close());

beforeEach(async () => {
  await db.delete(events);
  await db.delete(tasks);
  probot = testProbot();
  await probot.load(fleetApp({ db }));
});

async function failedTask(attempts = 3) {
  const { task } = await enqueueTask(db, {
    repoFullName: "Codertocat/Hello-World",
    repoId: 1,
    installationId: 4242,
    issueNumber: 1,
    issueTitle: "t",
    issueBody: "",
    defaultBranch: "main",
    cloneUrl: "file:///dev/null",
    requestedBy: "Codertocat",
    config: DEFAULT_FLEET_CONFIG,
  });
  if (!task) throw new Error("no task");
  await db.update(tasks).set({ state: "failed", attempt: attempts }).where(eq(tasks.id, task.id));
  return task.id;
}

function github(role: string, expectComment: RegExp | null, removeLabel = false) {
  nock(API)
    .post("/app/installations/4242/access_tokens")
    .reply(201, { token: "ghs_test", expires_at: "2099-01-01T00:00:00Z" });
  nock(API)
    .get(`${REPO}/collaborators/Codertocat/permission`)
    .reply(200, { permission: role === "maintain" ? "write" : role, role_name: role });
  if (removeLabel) nock(API).delete(`${REPO}/issues/1/labels/fleet%3Afailed`).reply(200, []);
  if (expectComment) {
    nock(API)
      .post(`${REPO}/issues/1/comments`, (body: { body: string }) => expectComment.test(body.body))
      .reply(201, { id: 1 });
  }
}

const receive = (payload: object, id = randomUUID()) =>
  probot.receive({ id, name: "issue_comment", payload } as Parameters<Probot["receive"]>[0]);

describe("/fleet commands over webhooks", () => {
  it("re-queues a failed task with a fresh attempt budget, once per delivery", async () => {
    const id = await failedTask(3);
    github("write", /asked for a retry/, true);
    const deliveryId = randomUUID();
    await receive(commentPayload("/fleet retry"), deliveryId);
    const [task] = await db.select().from(tasks).where(eq(tasks.id, id));
    expect(task).toMatchObject({ state: "queued", attemptBase: 3, attempt: 3 });

    // The same delivery again changes nothing and says nothing.
    nock(API)
      .get(`${REPO}/collaborators/Codertocat/permission`)
      .reply(200, { permission: "write", role_name: "write" });
    await receive(commentPayload("/fleet retry"), deliveryId);
    const requested = await db.select().from(events).where(eq(events.kind, "retry_requested"));
    expect(requested).toHaveLength(1);
  });

  it("refuses the command from a user without write access, politely", async () => {
    const id = await failedTask();
    github("read", /only takes `\/fleet` commands from people with write/);
    await receive(commentPayload("/fleet retry"));
    const [task] = await db.select().from(tasks).where(eq(tasks.id, id));
    expect(task?.state).toBe("failed");
  });

  it("says so when there is nothing failed to retry", async () => {
    github("admin", /no failed agent-fleet task/);
    await receive(commentPayload("/fleet retry"));
    expect(await db.select().from(tasks)).toEqual([]);
  });

  it("makes no GitHub call for ordinary comments", async () => {
    await receive(commentPayload("Looks good to me"));
    await receive(commentPayload("Please /fleet retry when you can"));
    expect(await db.select().from(events)).toEqual([]);
  });

  it("acknowledges /fleet cancel with a +1 reaction on the command", async () => {
    const id = await failedTask();
    await db.update(tasks).set({ state: "pr_open", prNumber: 7 }).where(eq(tasks.id, id));
    github("write", /cancelled this task.*#7 stays open/s);
    const payload = commentPayload("/fleet cancel");
    nock(API)
      .post(`${REPO}/issues/comments/${payload.comment.id}/reactions`, { content: "+1" })
      .reply(201, { id: 1, content: "+1" });
    await receive(payload);
    const [task] = await db.select().from(tasks).where(eq(tasks.id, id));
    expect(task?.state).toBe("cancelled");
  });
});
