import type { IncomingMessage, ServerResponse } from "node:http";
import { verify } from "@octokit/webhooks-methods";
import type { HttpRoute } from "./route.js";

/** GitHub never sends a webhook payload larger than this; anything bigger is not from GitHub. */
export const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;

type BodyRead = { ok: true; body: string } | { ok: false; tooLarge: true };

/** Reads the body up to the limit; past it, stops reading and says so. */
function readBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on("data", (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        req.pause();
        resolve({ ok: false, tooLarge: true });
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!done) resolve({ ok: true, body: Buffer.concat(chunks).toString("utf8") });
    });
    req.on("error", reject);
  });
}

function refuse(res: ServerResponse, status: number, error: string): true {
  // A refused body is not read to its end: close the connection rather than drain it.
  res.writeHead(status, { "content-type": "application/json", connection: "close" });
  res.end(JSON.stringify({ error }));
  return true;
}

/**
 * Stands in front of Probot's webhook middleware and answers what it would get wrong or let
 * through too far: a body over 25 MB is 413 before it is buffered whole, and a missing or wrong
 * signature is 401, as for any unauthenticated request. A verified body is handed on as
 * `req.body`, which the middleware reads instead of the stream (it verifies again: cheap).
 */
export function webhookGuard(options: { path: string; secret: string }): HttpRoute {
  const path = options.path.replace(/\/+$/, "");
  return async (req, res) => {
    if (req.method !== "POST") return false;
    const pathname = new URL(req.url ?? "/", "http://localhost").pathname.replace(/\/+$/, "");
    if (pathname !== path) return false;
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > MAX_WEBHOOK_BYTES) {
      return refuse(res, 413, "payload larger than 25 MB");
    }
    const signature = req.headers["x-hub-signature-256"];
    if (typeof signature !== "string" || signature === "") {
      return refuse(res, 401, "missing x-hub-signature-256: the delivery is not signed");
    }
    const read = await readBody(req, MAX_WEBHOOK_BYTES);
    if (!read.ok) return refuse(res, 413, "payload larger than 25 MB");
    if (!(await verify(options.secret, read.body, signature).catch(() => false))) {
      return refuse(res, 401, "signature does not match the webhook secret");
    }
    (req as IncomingMessage & { body?: string }).body = read.body;
    return false;
  };
}
