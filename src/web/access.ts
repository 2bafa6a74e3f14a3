import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);
export const SESSION_COOKIE = "fleet_dashboard";

export type Access =
  | { kind: "allowed" }
  | { kind: "refused"; status: 401 | 403; message: string }
  /** A valid `?token=`: set the session cookie and send the browser to the URL without it. */
  | { kind: "redirect"; location: string; cookie: string };

export function isLoopback(address: string | undefined): boolean {
  return address !== undefined && LOOPBACK.has(address);
}

/** Compares digests, so neither the content nor the length of the token leaks through timing. */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The cookie holds a value derived from the token, never the token itself. */
export function sessionValue(token: string): string {
  return createHmac("sha256", token).update("agent-fleet dashboard session").digest("base64url");
}

function bearer(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
  return match?.[1];
}

/**
 * Loopback alone is not enough without a token: a web page can reach 127.0.0.1 under its own
 * name (DNS rebinding), and a proxy on this host makes every request look local. So the Host
 * must name this machine, and a forwarded request is not local.
 */
function isLocalRequest(req: IncomingMessage): boolean {
  if (req.headers["x-forwarded-for"] !== undefined || req.headers.forwarded !== undefined) {
    return false;
  }
  const host = (req.headers.host ?? "").toLowerCase().replace(/:\d+$/, "");
  return host === "localhost" || host === "127.0.0.1" || host === "[::1]";
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Who may see the dashboard. Without a token only this machine (loopback) may; with one, every
 * request must carry it: as a bearer token, as the session cookie, or once as `?token=`.
 */
export function checkAccess(req: IncomingMessage, url: URL, token: string | undefined): Access {
  if (!token) {
    return isLoopback(req.socket.remoteAddress) && isLocalRequest(req)
      ? { kind: "allowed" }
      : {
          kind: "refused",
          status: 403,
          message: "the dashboard answers only on loopback unless FLEET_DASHBOARD_TOKEN is set",
        };
  }
  const fromHeader = bearer(req);
  if (fromHeader !== undefined && sameSecret(fromHeader, token)) return { kind: "allowed" };
  const session = cookie(req, SESSION_COOKIE);
  if (session !== undefined && sameSecret(session, sessionValue(token))) return { kind: "allowed" };
  const fromQuery = url.searchParams.get("token");
  if (fromQuery !== null && sameSecret(fromQuery, token)) {
    const rest = new URL(url);
    rest.searchParams.delete("token");
    return {
      kind: "redirect",
      location: `${rest.pathname}${rest.search}`,
      cookie: `${SESSION_COOKIE}=${sessionValue(token)}; Path=/fleet; HttpOnly; SameSite=Strict${
        isHttps(req) ? "; Secure" : ""
      }`,
    };
  }
  return { kind: "refused", status: 401, message: "a valid dashboard token is required" };
}

function isHttps(req: IncomingMessage): boolean {
  return (
    ("encrypted" in req.socket && req.socket.encrypted === true) ||
    req.headers["x-forwarded-proto"] === "https"
  );
}
