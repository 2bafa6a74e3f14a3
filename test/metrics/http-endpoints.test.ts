import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { sign } from "@octokit/webhooks-methods";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client.js";
import { enqueueTask } from "../../src/db/queries/index.js";
import { type OpsServer, startOpsServer } from "../../src/http/ops-server.js";
import { metricsRoute } from "../../src/metrics/route.js";
import type { RunningServer } from "../../src/server.js";
import { taskInput } from "../db/fixtures.js";
import { issuesPayload } from "../helpers/payloads.js";
import { startTestWebhookServer } from "../helpers/webhook-server.js";
import { useTestDatabase } from "../support/db.js";
import { moved, scrape } from "./support/scrape.js";

const log = pino({ level: process.env.TEST_LOG ?? "silent" });
const SECRET = "metrics-webhook-secret";
const database = useTestDatabase();

async function opsServer(db = database.db): Promise<OpsServer> {
  const ops = await startOpsServer({
    db,
    log,
    port: 0,
    host: "127.0.0.1",
    routes: [metricsRoute(db)],
  });
  if (!ops) throw new Error("the ops server did not start");
  return ops;
}

describe("the runner's ops server", () => {
  let ops: OpsServer;
  beforeAll(async () => {
    ops = await opsServer();
  });
  afterAll(async () => {
    await ops?.close();
  });

  it("answers /healthz and /readyz as the webhook server does", async () => {
    const health = await fetch(`${ops.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
    const ready = await fetch(`${ops.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true });
  });

  it("serves /metrics: the fleet's metrics and the process's", async () => {
    await enqueueTask(database.db, taskInput({ repoFullName: "ops/metrics" }));
    const metrics = await scrape(ops.url);
    expect(metrics.contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(metrics.value("fleet_tasks", { state: "queued" })).toBeGreaterThanOrEqual(1);
    expect(metrics.has("process_cpu_user_seconds_total")).toBe(true);
    expect(metrics.has("nodejs_eventloop_lag_seconds")).toBe(true);
    expect(metrics.text).toMatch(/^# TYPE fleet_attempt_duration_seconds histogram$/m);
    expect(metrics.text).toMatch(/^# TYPE fleet_dispatches_total counter$/m);
  });

  it("answers 404 for other paths and 405 for a POST to /metrics", async () => {
    expect((await fetch(`${ops.url}/api/github/webhooks`, { method: "POST" })).status).toBe(404);
    const post = await fetch(`${ops.url}/metrics`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });

  it("keeps answering without a database: not ready, and no stale task counts", async () => {
    const gone = createDb(database.url);
    const lonely = await opsServer(gone.db);
    try {
      expect((await scrape(lonely.url)).value("fleet_database_up")).toBe(1);
      await gone.close();
      const ready = await fetch(`${lonely.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ ok: false, error: "database unavailable" });
      expect((await fetch(`${lonely.url}/healthz`)).status).toBe(200);
      const metrics = await scrape(lonely.url);
      expect(metrics.value("fleet_database_up")).toBe(0);
      expect(metrics.has("fleet_tasks", { state: "queued" })).toBe(false);
    } finally {
      await lonely.close();
    }
  });

  it("answers 503 while the database cannot be reached, though the pool keeps trying", async () => {
    // Nothing listens on port 1: the patient pool would retry for 30 s; the probe may not wait.
    const unreachable = createDb("postgres://fleet@127.0.0.1:1/fleet");
    const lonely = await opsServer(unreachable.db);
    try {
      const ready = await fetch(`${lonely.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ ok: false, error: "database unavailable" });
      expect((await scrape(lonely.url)).value("fleet_database_up")).toBe(0);
    } finally {
      await lonely.close();
      await unreachable.close();
    }
  });

  it("resolves null instead of failing the runner when its port is taken", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const address = taken.address();
    if (!address || typeof address === "string") throw new Error("no port");
    try {
      const ops = await startOpsServer({
        db: database.db,
        log,
        port: address.port,
        host: "127.0.0.1",
      });
      expect(ops).toBeNull();
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });
});

describe("the webhook server", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestWebhookServer(database.db, {
      log,
      webhookSecret: SECRET,
      routes: [metricsRoute(database.db)],
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  async function deliver(event: string, body: string, secret = SECRET) {
    return fetch(server.webhookUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": randomUUID(),
        "x-hub-signature-256": await sign(secret, body),
      },
      body,
    });
  }

  it("serves /metrics beside /healthz and /readyz", async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const metrics = await scrape(server.url);
    expect(metrics.value("fleet_database_up")).toBe(1);
  });

  it("counts verified deliveries by event, and not a forged one", async () => {
    const opened = JSON.stringify(issuesPayload("opened"));
    const before = await scrape(server.url);
    expect((await deliver("issues", opened)).status).toBe(200);
    expect((await deliver("issues", opened)).status).toBe(200);
    expect((await deliver("issues", opened, "not-the-secret")).status).toBeGreaterThanOrEqual(400);
    const after = await scrape(server.url);
    expect(moved(before, after, "fleet_webhooks_received_total", { event: "issues" })).toBe(2);
  });
});
