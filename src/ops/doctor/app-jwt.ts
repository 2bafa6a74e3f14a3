import { createSign } from "node:crypto";

const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

/**
 * The JWT a GitHub App signs to call `/app` as itself: RS256, issued a minute in the past (for
 * clock drift), valid for nine minutes (GitHub accepts at most ten).
 */
export function appJwt(appId: number, privateKey: string, nowMs: number): string {
  const now = Math.floor(nowMs / 1000);
  const unsigned = `${encode({ alg: "RS256", typ: "JWT" })}.${encode({ iat: now - 60, exp: now + 540, iss: appId })}`;
  const signature = createSign("RSA-SHA256").update(unsigned).sign(privateKey, "base64url");
  return `${unsigned}.${signature}`;
}
