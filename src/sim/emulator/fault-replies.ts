import type { ApiFaultKind } from "./faults.js";
import type { Reply } from "./http.js";

const RATE_LIMIT_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";

/**
 * What GitHub answers when it fails a request, per fault kind. @octokit/plugin-throttling tells
 * a secondary limit by /\bsecondary rate\b/ in the message and a primary one by
 * `x-ratelimit-remaining: 0`; both wait `retry-after` (the primary until `x-ratelimit-reset`).
 * A timeout is never answered: the client gives up, or the emulator closes the connection.
 */
export function faultReply(kind: ApiFaultKind, requestId: string, nowMs = Date.now()): Reply {
  const reply = faultAnswer(kind, requestId, nowMs);
  return { ...reply, headers: { ...reply.headers, "x-github-request-id": requestId } };
}

function faultAnswer(kind: ApiFaultKind, requestId: string, nowMs: number): Reply {
  switch (kind) {
    case "500":
      return { status: 500, body: { message: "Server Error" } };
    case "502":
      return { status: 502, body: { message: "Server Error" } };
    case "secondary-rate-limit":
      return {
        status: 403,
        headers: { "retry-after": "1" },
        body: {
          message: `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
          documentation_url: `${RATE_LIMIT_DOCS}#about-secondary-rate-limits`,
        },
      };
    case "429":
      return {
        status: 429,
        headers: {
          "retry-after": "1",
          "x-ratelimit-remaining": "0",
          "x-ratelimit-used": "5000",
          "x-ratelimit-reset": String(Math.floor(nowMs / 1000) + 1),
        },
        body: {
          message: `API rate limit exceeded. If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
          documentation_url: `${RATE_LIMIT_DOCS}#about-the-primary-rate-limit`,
        },
      };
    case "timeout":
      return { status: 0, hold: true };
  }
}
