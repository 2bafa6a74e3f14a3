import { request } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ApiFaultKind } from "../../src/sim/emulator/index.js";
import { type Harness, startHarness } from "./emulator-harness.js";

/** Faults as the emulator serves them: raw HTTP answers, and webhooks that never come. */

let h: Harness;
let installationId: number;

beforeAll(async () => {
  h = await startHarness();
  const repo = await h.emulator.createRepo({
    slug: "acme/api",
    files: { "README.md": "# api\n" },
    collaborators: { alice: "write" },
  });
  installationId = repo.installationId;
  await h.emulator.createIssue({ repo: "acme/api", number: 1, title: "One", by: "alice" });
  await h.emulator.settled();
});

afterAll(async () => {
  await h?.close();
});

beforeEach(() => {
  h.emulator.setFaults(null);
});

const onlyApi = (kind: ApiFaultKind) => ({ seed: 1, api: { rate: 1, kinds: [kind] } });

/** GET /app without credentials: 401 when nothing interferes. */
const getApp = (signal?: AbortSignal) => fetch(`${h.emulator.url}/app`, signal ? { signal } : {});

describe("API faults", () => {
  it("answer 500 and 502 with GitHub's JSON error, before anything runs", async () => {
    for (const kind of ["500", "502"] as const) {
      h.emulator.setFaults(onlyApi(kind));
      const before = h.emulator.faultStats().api[kind];
      const response = await getApp();
      expect(response.status).toBe(Number(kind));
      expect(await response.json()).toEqual({ message: "Server Error" });
      expect(h.emulator.faultStats().api[kind]).toBe(before + 1);
    }
    h.emulator.setFaults(null);
    expect((await getApp()).status).toBe(401);
  });

  it("answer a secondary rate limit as 403 with retry-after and the message the throttling plugin reads", async () => {
    h.emulator.setFaults(onlyApi("secondary-rate-limit"));
    const response = await getApp();
    expect(response.status).toBe(403);
    expect(response.headers.get("retry-after")).toBe("1");
    const body = (await response.json()) as { message: string; documentation_url: string };
    // @octokit/plugin-throttling: /\bsecondary rate\b/i on the error message.
    expect(body.message).toMatch(/\bsecondary rate\b/i);
    expect(body.message).toContain(String(response.headers.get("x-github-request-id")));
    expect(body.documentation_url).toMatch(/#about-secondary-rate-limits$/);
  });

  it("answer a rate limit as 429 with retry-after and an exhausted quota that resets", async () => {
    h.emulator.setFaults(onlyApi("429"));
    const now = Date.now();
    const response = await getApp();
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(response.headers.get("x-ratelimit-remaining")).toBe("0");
    const reset = Number(response.headers.get("x-ratelimit-reset")) * 1000;
    expect(reset).toBeGreaterThan(now - 1000);
    expect(reset).toBeLessThanOrEqual(Date.now() + 1000);
    expect(((await response.json()) as { message: string }).message).toMatch(/rate limit exceeded/);
  });

  it("hold a timed-out request open until the client gives up", async () => {
    h.emulator.setFaults(onlyApi("timeout"));
    const before = h.emulator.faultStats().api.timeout;
    await expect(getApp(AbortSignal.timeout(300))).rejects.toMatchObject({
      name: "TimeoutError",
    });
    expect(h.emulator.faultStats().api.timeout).toBe(before + 1);
  });

  it("leave the emulator's own push notices alone", async () => {
    h.emulator.setFaults(onlyApi("500"));
    const response = await fetch(`${h.emulator.url}/_emulator/push`, { method: "POST" });
    expect(response.status).not.toBe(500);
  });
});

describe("a request held by a timeout fault", () => {
  it("ends when the emulator closes", async () => {
    const own = await startHarness();
    own.emulator.setFaults(onlyApi("timeout"));
    const ended = new Promise<string>((resolve) => {
      const req = request(`${own.emulator.url}/app`, (res) =>
        resolve(`answered ${res.statusCode}`),
      );
      req.on("error", (error) => resolve(`closed: ${(error as NodeJS.ErrnoException).code}`));
      req.end();
    });
    await waitFor(() => own.emulator.faultStats().api.timeout === 1);
    await own.close();
    expect(await ended).toMatch(/^closed: /);
  });
});

describe("webhook faults and GitHub's delivery API", () => {
  it("record a dropped delivery as timed out, never sent, until the app asks for it again", async () => {
    h.emulator.setFaults({ seed: 5, webhooks: { drop: 1 } });
    const dropped = await h.emulator.addLabel({
      repo: "acme/api",
      issue: 1,
      name: "agent-ready",
      by: "alice",
    });
    h.emulator.setFaults(null);
    await h.emulator.settled();
    expect(dropped).toMatchObject({ status: 0, error: "timed out", fault: { kind: "drop" } });
    expect(h.receiver.received.some((r) => r.headers["x-github-delivery"] === dropped.id)).toBe(
      false,
    );
    expect(h.emulator.unrecoveredDrops()).toEqual([dropped.id]);
    expect(h.emulator.faultStats().webhooksDropped).toBeGreaterThanOrEqual(1);

    const app = await h.probot.auth();
    const listed = await app.request("GET /app/hook/deliveries", { per_page: 100 });
    const attempt = listed.data.find((d) => d.guid === dropped.id);
    expect(attempt).toMatchObject({
      id: dropped.attemptId,
      redelivery: false,
      status: "timed out",
      status_code: 0,
      event: "issues",
      action: "labeled",
      installation_id: installationId,
    });

    const asked = await app.request("POST /app/hook/deliveries/{delivery_id}/attempts", {
      delivery_id: dropped.attemptId,
    });
    expect(asked.status).toBe(202);
    const received = await h.receiver.waitFor((r) => r.headers["x-github-delivery"] === dropped.id);
    expect(received.payload.action).toBe("labeled");
    await h.emulator.settled();
    expect(h.emulator.unrecoveredDrops()).toEqual([]);
    const again = await app.request("GET /app/hook/deliveries", { per_page: 100 });
    const attempts = again.data.filter((d) => d.guid === dropped.id);
    expect(attempts.map((d) => [d.redelivery, d.status, d.status_code])).toEqual([
      [true, "OK", 200],
      [false, "timed out", 0],
    ]);
  });

  it("answer 404 for a redelivery of an attempt that does not exist", async () => {
    const app = await h.probot.auth();
    await expect(
      app.request("POST /app/hook/deliveries/{delivery_id}/attempts", { delivery_id: 1 }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it("list attempts newest first, a page at a time through the Link header's cursor", async () => {
    for (const body of ["a", "b", "c"]) {
      await h.emulator.comment({ repo: "acme/api", issue: 1, by: "alice", body });
    }
    const app = await h.probot.auth();
    const all = (await app.request("GET /app/hook/deliveries", { per_page: 100 })).data;
    const first = await app.request("GET /app/hook/deliveries", { per_page: 2 });
    expect(first.headers.link).toMatch(/[?&]cursor=v1_\d+.*rel="next"/);
    const paged = await app.paginate("GET /app/hook/deliveries", { per_page: 2 });
    expect(paged.map((d) => d.id)).toEqual(all.map((d) => d.id));
    const times = all.map((d) => Date.parse(d.delivered_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const comments = all.filter((d) => d.event === "issue_comment");
    expect(comments).toHaveLength(3);
    // GitHub's filter: success is 2xx-3xx, failure 4xx-5xx; a timeout is neither.
    const { data: ok } = await app.request("GET /app/hook/deliveries?per_page=100&status=success");
    const succeeded = all.filter((d) => d.status_code >= 200 && d.status_code < 400);
    expect((ok as Array<{ id: number }>).map((d) => d.id)).toEqual(succeeded.map((d) => d.id));
    expect(succeeded.length).toBeLessThan(all.length);
  });

  it("hold a delayed delivery back and send it after the ones raised meanwhile", async () => {
    h.emulator.setFaults({ seed: 9, webhooks: { delay: 1, maxDelayMs: 400 } });
    const held = await h.emulator.comment({ repo: "acme/api", issue: 1, by: "alice", body: "one" });
    h.emulator.setFaults(null);
    expect(held).toMatchObject({ status: 0, fault: { kind: "delay" } });
    const next = await h.emulator.comment({ repo: "acme/api", issue: 1, by: "alice", body: "two" });
    expect(next.status).toBe(200);
    await h.emulator.settled();
    expect(held.status).toBe(200);
    const order = h.receiver.received.map((r) => r.headers["x-github-delivery"]);
    expect(order.indexOf(next.id)).toBeLessThan(order.indexOf(held.id));
    expect(h.emulator.faultStats().webhooksDelayed).toBeGreaterThanOrEqual(1);
  });

  it("never fault a redelivery: it is asked for on purpose", async () => {
    const original = await h.emulator.comment({
      repo: "acme/api",
      issue: 1,
      by: "alice",
      body: "again",
    });
    h.emulator.setFaults({ seed: 2, webhooks: { drop: 1 } });
    const again = await h.emulator.redeliver(original.id);
    expect(again).toMatchObject({ id: original.id, redelivery: true, status: 200 });
    expect(again.attemptId).not.toBe(original.attemptId);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setImmediate(resolve));
  }
}
