import type { IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSettings } from "../../src/config/settings.js";
import { checkAccess, isLoopback, SESSION_COOKIE, sessionValue } from "../../src/web/access.js";
import { useTestDatabase } from "../support/db.js";
import { capturingLogger, type DashboardServer, startDashboardServer } from "./support.js";

const TOKEN = "dashboard-token-0123456789abcdef";

function fakeRequest(remoteAddress: string | undefined, headers: Record<string, string> = {}) {
  return { socket: { remoteAddress }, headers } as unknown as IncomingMessage;
}

const at = (path: string) => new URL(path, "http://dashboard.invalid");

describe("dashboard access without a token", () => {
  it.each(["127.0.0.1", "::1", "::ffff:127.0.0.1"])("lets loopback %s in", (address) => {
    expect(isLoopback(address)).toBe(true);
    expect(
      checkAccess(fakeRequest(address, { host: "127.0.0.1:3000" }), at("/fleet"), undefined),
    ).toEqual({ kind: "allowed" });
  });

  it.each(["localhost:3000", "127.0.0.1", "[::1]:8080"])("accepts the Host %s", (host) => {
    expect(checkAccess(fakeRequest("127.0.0.1", { host }), at("/fleet"), undefined)).toEqual({
      kind: "allowed",
    });
  });

  it("refuses a loopback request under another name (DNS rebinding) or through a proxy", () => {
    const rebound = fakeRequest("127.0.0.1", { host: "attacker.example:3000" });
    expect(checkAccess(rebound, at("/fleet"), undefined)).toMatchObject({ status: 403 });
    const proxied = fakeRequest("127.0.0.1", {
      host: "localhost:3000",
      "x-forwarded-for": "203.0.113.9",
    });
    expect(checkAccess(proxied, at("/fleet"), undefined)).toMatchObject({ status: 403 });
    const forwarded = fakeRequest("::1", { host: "localhost", forwarded: "for=203.0.113.9" });
    expect(checkAccess(forwarded, at("/fleet"), undefined)).toMatchObject({ status: 403 });
  });

  it.each(["10.0.0.5", "192.168.1.20", "::ffff:10.0.0.5", "2001:db8::1", "127.0.0.2"])(
    "refuses %s with 403",
    (address) => {
      expect(checkAccess(fakeRequest(address), at("/fleet"), undefined)).toMatchObject({
        kind: "refused",
        status: 403,
      });
    },
  );

  it("refuses a request whose address is unknown", () => {
    expect(checkAccess(fakeRequest(undefined), at("/fleet"), undefined)).toMatchObject({
      status: 403,
    });
  });
});

describe("dashboard access with a token", () => {
  it("requires it from loopback too", () => {
    expect(checkAccess(fakeRequest("127.0.0.1"), at("/fleet"), TOKEN)).toMatchObject({
      kind: "refused",
      status: 401,
    });
  });

  it("accepts the bearer token from any address, and refuses a wrong one", () => {
    const good = fakeRequest("10.0.0.5", { authorization: `Bearer ${TOKEN}` });
    expect(checkAccess(good, at("/fleet"), TOKEN)).toEqual({ kind: "allowed" });
    const wrong = fakeRequest("10.0.0.5", { authorization: `Bearer ${TOKEN}x` });
    expect(checkAccess(wrong, at("/fleet"), TOKEN)).toMatchObject({ status: 401 });
    const prefix = fakeRequest("10.0.0.5", { authorization: `Bearer ${TOKEN.slice(0, 10)}` });
    expect(checkAccess(prefix, at("/fleet"), TOKEN)).toMatchObject({ status: 401 });
  });

  it("trades ?token= for a session cookie that does not hold the token", () => {
    const access = checkAccess(
      fakeRequest("10.0.0.5"),
      at(`/fleet/tasks/3?token=${TOKEN}&fragment=1`),
      TOKEN,
    );
    if (access.kind !== "redirect") throw new Error(`expected a redirect, got ${access.kind}`);
    expect(access.location).toBe("/fleet/tasks/3?fragment=1");
    expect(access.cookie).toContain(`${SESSION_COOKIE}=${sessionValue(TOKEN)}`);
    expect(access.cookie).toMatch(/; HttpOnly/);
    expect(access.cookie).toMatch(/; SameSite=Strict/);
    expect(access.cookie).not.toContain(TOKEN);

    const withCookie = fakeRequest("10.0.0.5", {
      cookie: `other=1; ${SESSION_COOKIE}=${sessionValue(TOKEN)}`,
    });
    expect(checkAccess(withCookie, at("/fleet"), TOKEN)).toEqual({ kind: "allowed" });
    const forged = fakeRequest("10.0.0.5", { cookie: `${SESSION_COOKIE}=${TOKEN}` });
    expect(checkAccess(forged, at("/fleet"), TOKEN)).toMatchObject({ status: 401 });
    expect(checkAccess(fakeRequest("10.0.0.5"), at("/fleet?token=nope"), TOKEN)).toMatchObject({
      status: 401,
    });
  });
});

describe("FLEET_DASHBOARD_TOKEN", () => {
  it("is read from the environment; empty means unset and a short one is refused", () => {
    expect(loadSettings({ FLEET_DASHBOARD_TOKEN: TOKEN }).dashboardToken).toBe(TOKEN);
    expect(loadSettings({ FLEET_DASHBOARD_TOKEN: "" }).dashboardToken).toBeUndefined();
    expect(loadSettings({}).dashboardToken).toBeUndefined();
    expect(() => loadSettings({ FLEET_DASHBOARD_TOKEN: "short" })).toThrow(
      /FLEET_DASHBOARD_TOKEN: use at least 16/,
    );
  });

  it("is blanked out when settings are logged", () => {
    const { log, lines } = capturingLogger();
    log.info({ settings: { dashboardToken: TOKEN }, dashboardToken: TOKEN }, "settings");
    log.flush();
    expect(lines.join("")).toContain("[redacted]");
    expect(lines.join("")).not.toContain(TOKEN);
  });
});

describe("the dashboard over HTTP on 127.0.0.1 with a token", () => {
  const database = useTestDatabase();
  let server: DashboardServer;
  const captured = capturingLogger();

  beforeAll(async () => {
    server = await startDashboardServer({
      db: database.db,
      databaseUrl: database.url,
      token: TOKEN,
      log: captured.log,
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("answers 401 without the token and 200 with the bearer token", async () => {
    const without = await fetch(`${server.url}/fleet`);
    expect(without.status).toBe(401);
    expect(without.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await without.text()).not.toContain("Tasks by state");

    const events = await fetch(`${server.url}/fleet/events`);
    expect(events.status).toBe(401);

    const withBearer = await fetch(`${server.url}/fleet`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(withBearer.status).toBe(200);
    expect(withBearer.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await withBearer.text()).toContain("Tasks by state");
  });

  it("sets an HttpOnly SameSite=Strict cookie for ?token= and redirects without it", async () => {
    const first = await fetch(`${server.url}/fleet?token=${TOKEN}`, { redirect: "manual" });
    expect(first.status).toBe(303);
    expect(first.headers.get("location")).toBe("/fleet");
    const setCookie = first.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).not.toContain(TOKEN);
    const cookie = setCookie.split(";")[0] ?? "";

    const next = await fetch(`${server.url}/fleet`, { headers: { cookie } });
    expect(next.status).toBe(200);
    expect(await next.text()).toContain("Tasks by state");
  });

  it("leaves other paths to the rest of the server", async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    const lookalike = await fetch(`${server.url}/fleetwide`);
    expect(lookalike.status).toBe(404);
    expect(await lookalike.text()).toBe('{"error":"not found"}');
  });

  it("never writes the token to the log", async () => {
    await fetch(`${server.url}/fleet?token=${TOKEN}`, { redirect: "manual" });
    await fetch(`${server.url}/fleet?token=${TOKEN}-wrong`);
    await fetch(`${server.url}/fleet`, { headers: { authorization: `Bearer ${TOKEN}` } });
    captured.log.flush();
    expect(captured.lines.length).toBeGreaterThan(0);
    expect(captured.lines.join("")).not.toContain(TOKEN);
  });
});
