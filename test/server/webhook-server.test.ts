import { randomUUID } from "node:crypto";
import { request } from "node:http";
import { sign } from "@octokit/webhooks-methods";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { events, tasks, webhookDeliveries } from "../../src/db/schema.js";
import type { RunningServer } from "../../src/server.js";
import { issuesPayload } from "../helpers/payloads.js";
import { startTestWebhookServer, TEST_WEBHOOK_SECRET } from "../helpers/webhook-server.js";
import { createTestDatabase } from "../support/db.js";

const SECRET = TEST_WEBHOOK_SECRET;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let server: RunningServer;

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startTestWebhookServer(database.db);
});

afterAll(async () => {
  await server?.close();
  await database?.close();
});

async function post(body: string, headers: Record<string, string>) {
  return fetch(server.webhookUrl, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
}

/**
 * Posts `megabytes` of body in 1 MB chunks and resolves with the status as soon as the server
 * answers, even when it answers before the body is sent and closes the connection.
 */
function postStreamed(headers: Record<string, string>, megabytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(server.webhookUrl, { method: "POST", headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", () => {}); // a write after the server closed: the answer already came
    const chunk = Buffer.alloc(1024 * 1024, "x");
    let sent = 0;
    const writeMore = () => {
      while (sent < megabytes) {
        sent++;
        if (!req.write(chunk)) return void req.once("drain", writeMore);
      }
      req.end();
    };
    req.once("close", () => reject(new Error("closed without an answer")));
    writeMore();
  });
}

async function nothingStored() {
  expect(await database.db.select().from(tasks)).toEqual([]);
  expect(await database.db.select().from(webhookDeliveries)).toEqual([]);
  expect(await database.db.select().from(events)).toEqual([]);
}

describe("the webhook endpoint", () => {
  const body = JSON.stringify(issuesPayload("labeled"));

  it("answers health checks", async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  it("is ready while the database answers", async () => {
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  it("rejects a delivery signed with the wrong secret, and stores nothing", async () => {
    const response = await post(body, {
      "x-github-event": "issues",
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": await sign("not-the-secret", body),
    });
    expect(response.status).toBe(401);
    expect(await response.text()).toMatch(/signature/i);
    await nothingStored();
  });

  it("rejects an unsigned delivery with a clear error", async () => {
    const response = await post(body, {
      "x-github-event": "issues",
      "x-github-delivery": randomUUID(),
    });
    expect(response.status).toBe(401);
    expect(await response.text()).toMatch(/x-hub-signature-256/i);
    await nothingStored();
  });

  it("refuses a body over 25 MB with 413, before reading it whole, and keeps serving", async () => {
    const headers = {
      "content-type": "application/json",
      "x-github-event": "issues",
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": "sha256=00",
    };
    // Streamed without a length: the limit is met while the body arrives.
    expect(await postStreamed(headers, 26)).toBe(413);
    // Declared too large: refused on the header alone.
    expect(await postStreamed({ ...headers, "content-length": String(26 * 1024 * 1024) }, 1)).toBe(
      413,
    );
    await nothingStored();
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it("accepts a signed event of a kind it does not know, and stores nothing", async () => {
    const unknown = JSON.stringify({ action: "sparkled", installation: { id: 1 } });
    const response = await post(unknown, {
      "x-github-event": "sparkle",
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": await sign(SECRET, unknown),
    });
    expect(response.status).toBe(200);
    await nothingStored();
  });

  it("rejects a signed body that is not JSON", async () => {
    const broken = "{not json";
    const response = await post(broken, {
      "x-github-event": "issues",
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": await sign(SECRET, broken),
    });
    expect(response.status).toBe(400);
    await nothingStored();
  });

  it("accepts a signed event it does not act on, and makes no GitHub call", async () => {
    const opened = JSON.stringify(issuesPayload("opened"));
    const response = await post(opened, {
      "x-github-event": "issues",
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": await sign(SECRET, opened),
    });
    // githubApiUrl points at a closed port: any GitHub call would have failed this delivery.
    expect(response.status).toBe(200);
    await nothingStored();
  });

  it("answers 404 for other paths", async () => {
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });
});

describe("readiness without a database", () => {
  it("answers 503 once the database is gone, while health stays 200", async () => {
    const gone = await createTestDatabase();
    const lonely = await startTestWebhookServer(gone.db);
    try {
      await gone.close();
      const ready = await fetch(`${lonely.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ ok: false, error: "database unavailable" });
      expect((await fetch(`${lonely.url}/healthz`)).status).toBe(200);
    } finally {
      await lonely.close();
    }
  });
});
