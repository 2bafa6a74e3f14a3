import { randomUUID } from "node:crypto";
import { request } from "node:http";
import examples from "@octokit/webhooks-examples";
import { sign } from "@octokit/webhooks-methods";
import { eq, sql } from "drizzle-orm";
import nock from "nock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueueTask } from "../../src/db/queries/enqueue.js";
import {
  activeStatePredicate,
  events,
  repoStates,
  type Task,
  tasks,
  webhookDeliveries,
} from "../../src/db/schema.js";
import { canTransition, isTaskState, type TaskState } from "../../src/db/task-states.js";
import { loadAppManifest } from "../../src/ops/doctor/manifest.js";
import type { RunningServer } from "../../src/server.js";
import { taskInput } from "../db/fixtures.js";
import { API } from "../helpers/github-nock.js";
import { startTestWebhookServer, TEST_WEBHOOK_SECRET } from "../helpers/webhook-server.js";
import { useTestDatabase } from "../support/db.js";

// biome-ignore lint/suspicious/noExplicitAny: example payloads are read and edited field by field
type Payload = Record<string, any>;
interface Delivery {
  event: string;
  label: string;
  payload: Payload;
}

const INSTALLATION = { id: 4242, node_id: "MDIzOkludGVncmF0aW9uNDI0Mg==" };
const definitions = examples as unknown as { name: string; examples: Payload[] }[];

function examplesOf(event: string): Payload[] {
  return definitions.find((d) => d.name === event)?.examples ?? [];
}

/**
 * Each example as published, and, where it has no installation, once more as a GitHub App
 * receives it: GitHub adds the installation to every delivery to an app.
 */
function deliveriesOf(event: string): Delivery[] {
  return examplesOf(event).flatMap((payload, i) => {
    const label = `${event}${payload.action ? `.${payload.action}` : ""} #${i}`;
    const asPublished = { event, label, payload };
    if (payload.installation) return [asPublished];
    const asInstalled = { ...structuredClone(payload), installation: INSTALLATION };
    return [asPublished, { event, label: `${label} (installed)`, payload: asInstalled }];
  });
}

const GREEN_RUN = {
  id: 6001,
  name: "ci",
  status: "completed",
  conclusion: "success",
  output: { title: "ok", summary: "ok" },
  details_url: null,
  app: { slug: "ci" },
};
const pullExample = examplesOf("pull_request").find((p) => p.action === "opened")?.pull_request;
const issueExample = examplesOf("issues").find((p) => p.action === "opened")?.issue;

/**
 * A GitHub that answers every repository plausibly: no fleet.yml, readers only, empty PRs whose
 * one check passed, and every write accepted. What the app decides is not the point here; that
 * it answers every delivery and keeps its tables consistent is.
 */
function answer(method: string, path: string): [number, unknown] {
  const route = `${method} ${path}`;
  const rules: [RegExp, (m: RegExpExecArray) => [number, unknown]][] = [
    [
      /^POST \/app\/installations\/\d+\/access_tokens$/,
      () => [201, { token: "ghs_test", expires_at: "2099-01-01T00:00:00Z" }],
    ],
    [/^GET \/repos\/[^/]+\/[^/]+\/installation$/, () => [200, INSTALLATION]],
    [/^GET \/repos\/[^/]+\/[^/]+\/contents\//, () => [404, { message: "Not Found" }]],
    [
      /^GET \/repos\/[^/]+\/[^/]+\/collaborators\/([^/]+)\/permission$/,
      (m) => [200, { permission: "read", role_name: "read", user: { login: m[1] } }],
    ],
    [
      /^GET \/repos\/[^/]+\/[^/]+\/pulls\/(\d+)$/,
      (m) => [
        200,
        { ...pullExample, number: Number(m[1]), state: "open", merged: false, mergeable: true },
      ],
    ],
    [
      /^GET \/repos\/[^/]+\/[^/]+\/pulls(\/\d+\/(files|reviews(\/\d+\/comments)?))?$/,
      () => [200, []],
    ],
    [
      /^GET \/repos\/[^/]+\/[^/]+\/commits\/[^/]+\/check-runs$/,
      () => [200, { total_count: 1, check_runs: [GREEN_RUN] }],
    ],
    [
      /^GET \/repos\/[^/]+\/[^/]+\/commits\/([^/]+)\/status$/,
      (m) => [200, { state: "success", sha: m[1], total_count: 0, statuses: [] }],
    ],
    [
      /^GET \/repos\/[^/]+\/[^/]+\/issues\/(\d+)$/,
      (m) => [200, { ...issueExample, number: Number(m[1]), state: "open" }],
    ],
    [/^POST \/repos\/[^/]+\/[^/]+\/check-runs$/, () => [201, { id: 7001 }]],
    [/^PATCH \/repos\/[^/]+\/[^/]+\/check-runs\/(\d+)$/, (m) => [200, { id: Number(m[1]) }]],
    [/^POST \/repos\/[^/]+\/[^/]+\/issues$/, () => [201, { number: 901, html_url: "x" }]],
    [/^PATCH \/repos\/[^/]+\/[^/]+\/issues\/(\d+)$/, (m) => [200, { number: Number(m[1]) }]],
    [/^POST \/repos\/[^/]+\/[^/]+\/issues\/(\d+\/)?comments/, () => [201, { id: 8001 }]],
    [/^(POST|DELETE) \/repos\/[^/]+\/[^/]+\/issues\/\d+\/labels/, () => [200, []]],
    [/^POST \/repos\/[^/]+\/[^/]+\/pulls\/\d+\/requested_reviewers$/, () => [201, {}]],
    [
      /^PUT \/repos\/[^/]+\/[^/]+\/pulls\/\d+\/merge$/,
      () => [200, { merged: true, sha: "c0ffee".padEnd(40, "0"), message: "merged" }],
    ],
  ];
  for (const [pattern, reply] of rules) {
    const match = pattern.exec(route);
    if (match) return reply(match);
  }
  return [404, { message: "Not Found" }];
}

const db = useTestDatabase();
const githubCalls: string[] = [];
const sentDeliveryIds = new Set<string>();
const strayRequests: string[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
const onNoMatch = (req: { method?: string; href?: string; path?: string }) =>
  strayRequests.push(`${req.method} ${req.href ?? req.path}`);
let server: RunningServer;

beforeAll(async () => {
  process.on("unhandledRejection", onUnhandled);
  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/);
  nock.emitter.on("no match", onNoMatch);
  for (const method of ["get", "post", "patch", "put", "delete"] as const) {
    nock(API)
      .persist()
      [method](/.*/)
      .reply((req) => {
        const url = new URL(req.url);
        const call = `${req.method} ${url.pathname}`;
        githubCalls.push(call);
        return answer(req.method, url.pathname);
      });
  }
  server = await startTestWebhookServer(db.db, { githubApiUrl: API, githubThrottle: false });
});

afterAll(async () => {
  await server?.close();
  nock.emitter.off("no match", onNoMatch);
  nock.cleanAll();
  nock.enableNetConnect();
  process.off("unhandledRejection", onUnhandled);
});

const REPO = "Codertocat/Hello-World";
const HEAD = examplesOf("check_run").find((p) => p.action === "completed")?.check_run.head_sha;
const MERGE = examplesOf("status")[0]?.sha;

async function seedTask(issueNumber: number, state: TaskState, set: Partial<Task>): Promise<Task> {
  const { task } = await enqueueTask(db.db, taskInput({ repoFullName: REPO, issueNumber }));
  if (!task) throw new Error("no task");
  const [row] = await db.db
    .update(tasks)
    .set({ state, ...set })
    .where(eq(tasks.id, task.id))
    .returning();
  if (!row) throw new Error("no row");
  // Recorded like any move, so the event log still ends in the state the task is in.
  await db.db.insert(events).values({ taskId: row.id, kind: "seeded", toState: state });
  return row;
}

/**
 * Fleet work the examples touch: their PR #2 is the fleet's, their status is on a fleet merge,
 * their issue #1 is the dashboard and the repo's fleet.yml is reported broken, so each kind of
 * event reaches the code that acts on it rather than stopping at "not ours".
 */
async function seedFleetWork(): Promise<Task[]> {
  const seeded = [
    await seedTask(1, "queued", {}),
    await seedTask(10, "pr_open", { prNumber: 2, headSha: HEAD, branch: "fleet/10" }),
    await seedTask(11, "merged", { prNumber: 3, mergeSha: MERGE, mergedAt: new Date() }),
  ];
  await db.db.insert(repoStates).values({
    repoFullName: REPO,
    installationId: INSTALLATION.id,
    dashboardIssue: 1,
    configErrorIssue: 5,
    configErrors: [{ path: "agent", message: "broken", line: 1 }],
  });
  return seeded;
}

/** Posts over node:http: nock's fetch interceptor refuses a passed-through request body. */
function post(url: string, headers: Record<string, string>, body: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(url, { method: "POST", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function deliver({ event, payload }: Delivery): Promise<{ status: number; body: string }> {
  const body = JSON.stringify(payload);
  const id = randomUUID();
  sentDeliveryIds.add(id);
  return post(
    server.webhookUrl,
    {
      "content-type": "application/json",
      "x-github-event": event,
      "x-github-delivery": id,
      "x-hub-signature-256": await sign(TEST_WEBHOOK_SECRET, body),
    },
    body,
  );
}

// app.yml names the events GitHub sends the app; every example of each is delivered.
const subscribed = (await loadAppManifest()).events;
const deliveries = subscribed.flatMap(deliveriesOf);
const published = subscribed.reduce((n, event) => n + examplesOf(event).length, 0);

describe(`the ${published} example payloads of the ${subscribed.length} subscribed events`, () => {
  it(`are each answered 200 over ${deliveries.length} signed deliveries, and the tables stay consistent`, async () => {
    expect(subscribed.length).toBeGreaterThan(0);
    for (const event of subscribed) {
      expect(examplesOf(event).length, `examples of ${event}`).toBeGreaterThan(0);
    }
    expect(deliveries.length).toBeGreaterThanOrEqual(published);
    // Closing a PR ends its work: sent last, so the other events still find the work open.
    const ordered = [
      ...deliveries.filter((d) => d.payload.action !== "closed"),
      ...deliveries.filter((d) => d.payload.action === "closed"),
    ];

    const seeded = await seedFleetWork();
    const failures: string[] = [];
    for (const delivery of ordered) {
      const { status, body } = await deliver(delivery);
      // 202 would mean the handler was still running after Probot's timeout: a hang, here.
      if (status !== 200) failures.push(`${delivery.label}: ${status} ${body}`);
    }

    expect(failures, `of ${deliveries.length} deliveries`).toEqual([]);
    expect(unhandled, "unhandled rejections").toEqual([]);
    expect(strayRequests, "requests nock did not answer").toEqual([]);
    // The deliveries were not all ignored: they reached GitHub and moved the seeded work.
    expect(githubCalls.length).toBeGreaterThan(0);
    const after = await db.db.select().from(tasks);
    const moved = seeded.filter((s) => after.find((t) => t.id === s.id)?.state !== s.state);
    expect(moved.length).toBeGreaterThan(0);

    await expectConsistentTables();
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

async function expectConsistentTables() {
  const all = await db.db.select().from(tasks);
  for (const task of all) expect(isTaskState(task.state), `task ${task.id}`).toBe(true);

  const { rows: doubled } = await db.db.execute(sql`
    select repo_full_name, issue_number from tasks where ${activeStatePredicate}
    group by 1, 2 having count(*) > 1`);
  expect(doubled, "issues with more than one active task").toEqual([]);

  const { rows: orphans } = await db.db.execute(sql`
    select e.id from events e left join tasks t on t.id = e.task_id
    where e.task_id is not null and t.id is null`);
  expect(orphans, "events of missing tasks").toEqual([]);

  const moves = await db.db.select().from(events).orderBy(events.id);
  for (const event of moves) {
    const { fromState: from, toState: to } = event;
    if (to === null) continue;
    expect(isTaskState(to), `event ${event.id} to ${to}`).toBe(true);
    if (from !== null) {
      expect(canTransition(from, to), `event ${event.id}: ${from} -> ${to}`).toBe(true);
    }
  }
  // A task's last recorded move names the state it is in.
  for (const task of all) {
    const last = moves.filter((e) => e.taskId === task.id && e.toState !== null).at(-1);
    if (last) expect(last.toState, `task ${task.id}`).toBe(task.state);
  }

  const running = all.filter((t) => t.state === "running");
  expect(running, "no runner claimed anything").toEqual([]);
  const recorded = await db.db.select().from(webhookDeliveries);
  for (const row of recorded) expect(sentDeliveryIds.has(row.deliveryId)).toBe(true);
}
