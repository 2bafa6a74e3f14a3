import { createVerify, randomBytes } from "node:crypto";
import { HttpError } from "./http.js";
import type { AccessLevel, Permissions } from "./types.js";

/** App JWTs (RS256, as universal-github-app-jwt signs them) and installation-token rules. */

export function bearer(header: string | undefined): string | undefined {
  const match = /^(?:bearer|token)\s+(\S+)$/i.exec(header ?? "");
  return match?.[1];
}

/**
 * Checks an app JWT the way GitHub does: issuer, issued-at and a 10-minute expiry; the signature
 * only when the app's public key is known. Messages are GitHub's, which @octokit/auth-app reads.
 */
export function verifyAppJwt(
  token: string | undefined,
  issuers: ReadonlyArray<string | number>,
  publicKey: string | undefined,
  nowMs = Date.now(),
): void {
  const parts = token?.split(".") ?? [];
  if (parts.length !== 3) throw new HttpError(401, "A JSON web token could not be decoded");
  const [head = "", body = "", signature = ""] = parts;
  let header: { alg?: string };
  let claims: { iss?: unknown; iat?: unknown; exp?: unknown };
  try {
    header = JSON.parse(Buffer.from(head, "base64url").toString("utf8"));
    claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  } catch {
    throw new HttpError(401, "A JSON web token could not be decoded");
  }
  if (publicKey) {
    const ok =
      header.alg === "RS256" &&
      createVerify("RSA-SHA256")
        .update(`${head}.${body}`)
        .verify(publicKey, Buffer.from(signature, "base64url"));
    if (!ok) throw new HttpError(401, "A JSON web token could not be decoded");
  }
  const now = Math.floor(nowMs / 1000);
  // GitHub accepts the app id or the app's client id as issuer.
  if (!issuers.some((iss) => String(iss) === String(claims.iss))) {
    throw new HttpError(401, "'Issuer' claim ('iss') must be an Integer");
  }
  if (typeof claims.iat !== "number" || claims.iat > now + 60) {
    throw new HttpError(
      401,
      "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
    );
  }
  if (typeof claims.exp !== "number" || claims.exp <= now) {
    throw new HttpError(
      401,
      "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
    );
  }
  if (claims.exp > now + 660) {
    throw new HttpError(401, "'Expiration time' claim ('exp') is too far in the future");
  }
}

export function newInstallationToken(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = randomBytes(36);
  return `ghs_${Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("")}`;
}

const RANK: Record<AccessLevel, number> = { read: 1, write: 2, admin: 3 };

export function allows(granted: Permissions, scope: string, level: AccessLevel): boolean {
  const have = granted[scope];
  return have !== undefined && RANK[have] >= RANK[level];
}

/** The permissions a token request may narrow to; asking for more than the app has is refused. */
export function narrowPermissions(
  app: Permissions,
  requested: Permissions | undefined,
): Permissions {
  if (!requested) return { ...app };
  const out: Permissions = { metadata: "read" };
  for (const [scope, level] of Object.entries(requested)) {
    if (!allows(app, scope, level)) {
      throw new HttpError(422, "The permissions requested are not granted to this installation.");
    }
    out[scope] = level;
  }
  return out;
}
