import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import nock from "nock";
import type { Probot } from "probot";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { events, repoStates, tasks } from "../../src/db/schema.js";
import { fleetApp } from "../../src/handlers/index.js";
import { API, strictNock } from "../helpers/github-nock.js";
import { issuesPayload } from "../helpers/payloads.js";
import { testProbot } from "../helpers/probot.js";
import { createTestDatabase } from "../support/db.js";

const REPO = "/repos/Codertocat/Hello-World";
const CONFIG_PATH = "/contents/.github%2Ffleet.yml";

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

// A fresh app per test, so no installation token is cached between tests.
beforeEach(async () => {
  await db.delete(events);
  await db.delete(tasks);
  await db.delete(repoStates);
  probot = testProbot();
  await probot.load(fleetApp({ db }));
});

function installationToken() {
  return nock(API)
    .post("/app/installations/4242/access_tokens")
    .reply(201, { token: "ghs_test", expires_at: "2099-01-01T00:00:00Z", permissions: {} });
}

function fleetConfig(yaml: string | null) {
  const scope = nock(API);
  if (yaml === null) {
    scope.get(`${REPO}${CONFIG_PATH}`).reply(404, { message: "Not Found" });
    scope.get(`/repos/Codertocat/.github${CONFIG_PATH}`).reply(404, { message: "Not Found" });
  } else {
    scope
      .get(`${REPO}${CONFIG_PATH}`)
      .reply(200, yaml, { "content-type": "text/plain; charset=utf-8" });
  }
  return scope;
}

/** The raw file at the default branch, read for line numbers, and the error issue it opens. */
function configErrorIssue(yaml: string, ref = "master") {
  nock(API)
    .get(`${REPO}${CONFIG_PATH}`)
    .query({ ref })
    .reply(200, yaml, { "content-type": "text/plain; charset=utf-8" });
  const opened = { body: "" };
  nock(API)
    .post(`${REPO}/issues`, (body: { title: string; body: string }) => {
      opened.body = body.body;
      return body.title === "agent-fleet configuration error";
    })
    .reply(201, { number: 99 });
  return opened;
}

/** Expects one comment on issue 1 and keeps its body for the test to read. */
function expectComment(): { body: string } {
  const captured = { body: "" };
  nock(API)
    .post(`${REPO}/issues/1/comments`, (body: { body: string }) => {
      captured.body = body.body;
      return true;
    })
    .reply(201, { id: 1 });
  return captured;
}

function permission(login: string, role: string) {
  const legacy = role === "maintain" ? "write" : role === "triage" ? "read" : role;
  return nock(API)
    .get(`${REPO}/collaborators/${login}/permission`)
    .reply(200, { permission: legacy, role_name: role, user: { login } });
}

async function receive(name: "issues", payload: object, id = randomUUID()) {
  await probot.receive({ id, name, payload } as Parameters<Probot["receive"]>[0]);
  return id;
}

const activeTasks = () => db.select().from(tasks);

describe("issues.labeled", () => {
  it("enqueues one task when a writer adds the trigger label", async () => {
    installationToken();
    fleetConfig(null);
    permission("Codertocat", "write");
    await receive("issues", issuesPayload("labeled"));

    const rows = await activeTasks();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      repoFullName: "Codertocat/Hello-World",
      issueNumber: 1,
      state: "queued",
      requestedBy: "Codertocat",
      installationId: 4242,
    });
    const taskId = rows[0]?.id ?? -1;
    const enqueued = await db.select().from(events).where(eq(events.taskId, taskId));
    expect(enqueued.map((e) => e.toState)).toEqual(["queued"]);
  });

  it.each(["maintain", "admin"])("accepts %s permission", async (role) => {
    installationToken();
    fleetConfig(null);
    permission("Codertocat", role);
    await receive("issues", issuesPayload("labeled"));
    expect(await activeTasks()).toHaveLength(1);
  });

  it("does not enqueue twice when the same delivery arrives twice", async () => {
    const id = randomUUID();
    installationToken();
    for (let i = 0; i < 2; i++) {
      fleetConfig(null);
      permission("Codertocat", "write");
      await receive("issues", issuesPayload("labeled"), id);
    }
    expect(await activeTasks()).toHaveLength(1);
  });

  it("refuses a read-only user with one comment, and says nothing on redelivery", async () => {
    const id = randomUUID();
    installationToken();
    fleetConfig(null);
    permission("mallory", "read");
    const comment = expectComment();
    await receive("issues", issuesPayload("labeled", { sender: "mallory" }), id);

    expect(comment.body).toContain("@mallory");
    expect(comment.body).toContain("write, maintain or admin");
    expect(await activeTasks()).toHaveLength(0);
    const refused = await db.select().from(events).where(eq(events.kind, "refused"));
    expect(refused).toHaveLength(1);

    fleetConfig(null);
    permission("mallory", "read");
    await receive("issues", issuesPayload("labeled", { sender: "mallory" }), id);
    expect(await db.select().from(events).where(eq(events.kind, "refused"))).toHaveLength(1);
  });

  it("treats a user who is not a collaborator as having no access", async () => {
    installationToken();
    fleetConfig(null);
    nock(API).get(`${REPO}/collaborators/stranger/permission`).reply(404, { message: "Not Found" });
    nock(API).post(`${REPO}/issues/1/comments`).reply(201, { id: 1 });
    await receive("issues", issuesPayload("labeled", { sender: "stranger" }));
    expect(await activeTasks()).toHaveLength(0);
  });

  it("ignores a label from a bot, even one whose payload calls it a User, and asks nothing", async () => {
    installationToken();
    fleetConfig(null);
    // No permission answer is set up: strict nock fails the delivery if it is looked up.
    const payload = issuesPayload("labeled", { sender: "helper[bot]" });
    expect(payload.sender.type).toBe("User");
    await receive("issues", payload);
    expect(await activeTasks()).toHaveLength(0);
    expect(await db.select().from(events)).toEqual([]);
  });

  it("dispatches for a bot named in trigger.allowBots, without a permission lookup", async () => {
    installationToken();
    fleetConfig('trigger:\n  allowBots: ["renovate[bot]"]\n');
    await receive("issues", issuesPayload("labeled", { sender: "renovate[bot]" }));
    expect(await activeTasks()).toMatchObject([{ requestedBy: "renovate[bot]", state: "queued" }]);
  });

  it("ignores labels other than the trigger label", async () => {
    installationToken();
    fleetConfig(null);
    await receive("issues", issuesPayload("labeled", { label: "bug" }));
    expect(await activeTasks()).toHaveLength(0);
  });

  it("uses the trigger label from .github/fleet.yml", async () => {
    installationToken();
    fleetConfig("trigger:\n  label: fleet-go\n");
    await receive("issues", issuesPayload("labeled", { label: "agent-ready" }));
    expect(await activeTasks()).toHaveLength(0);

    fleetConfig("trigger:\n  label: fleet-go\n");
    permission("Codertocat", "admin");
    await receive("issues", issuesPayload("labeled", { label: "fleet-go" }));
    expect(await activeTasks()).toHaveLength(1);
  });

  it("explains an invalid fleet.yml on the issue and dispatches nothing", async () => {
    installationToken();
    fleetConfig("agent:\n  timeout: soon\n  maxAttempts: 0\n");
    const opened = configErrorIssue("agent:\n  timeout: soon\n  maxAttempts: 0\n");
    const comment = expectComment();
    await receive("issues", issuesPayload("labeled"));
    expect(comment.body).toContain("`agent.timeout`");
    expect(comment.body).toContain("`agent.maxAttempts`");
    expect(comment.body).toContain("(tracked in #99)");
    expect(opened.body).toMatch(/\| `agent.maxAttempts` \| .* \| 3 \|/);
    expect(await activeTasks()).toHaveLength(0);
  });

  it("explains unparseable YAML instead of failing the webhook", async () => {
    installationToken();
    fleetConfig("trigger: [unclosed\n");
    configErrorIssue("trigger: [unclosed\n");
    const comment = expectComment();
    await receive("issues", issuesPayload("labeled"));
    expect(comment.body).toContain("invalid YAML");
    expect(await activeTasks()).toHaveLength(0);
  });
});

describe("withdrawing an issue", () => {
  async function enqueue() {
    installationToken();
    fleetConfig(null);
    permission("Codertocat", "write");
    await receive("issues", issuesPayload("labeled"));
    const [task] = await activeTasks();
    if (task?.state !== "queued") throw new Error(`expected a queued task, got ${task?.state}`);
    return task;
  }

  it("cancels the task when the trigger label is removed", async () => {
    const task = await enqueue();
    fleetConfig(null);
    await receive("issues", issuesPayload("unlabeled"));
    const [after] = await db.select().from(tasks).where(eq(tasks.id, task.id));
    expect(after?.state).toBe("cancelled");
  });

  it("leaves the task alone when another label is removed", async () => {
    const task = await enqueue();
    fleetConfig(null);
    await receive("issues", issuesPayload("unlabeled", { label: "bug" }));
    const [after] = await db.select().from(tasks).where(eq(tasks.id, task.id));
    expect(after?.state).toBe("queued");
  });

  it("cancels the task when the issue is closed, without asking GitHub anything", async () => {
    const task = await enqueue();
    await receive("issues", issuesPayload("closed"));
    const [after] = await db.select().from(tasks).where(eq(tasks.id, task.id));
    expect(after?.state).toBe("cancelled");
  });
});

describe("other events", () => {
  it("makes no GitHub call and writes nothing for an event the fleet does not handle", async () => {
    await receive("issues", issuesPayload("opened"));
    expect(await activeTasks()).toHaveLength(0);
  });
});
