import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { bearer, verifyAppJwt } from "./auth.js";
import type { Core } from "./core.js";
import { faultReply } from "./fault-replies.js";
import { HttpError, type Reply } from "./http.js";
import { checkResponse, matchRoute, validateBody } from "./openapi.js";
import { PUSH_PATH, PUSH_REPO_HEADER, PUSH_SECRET_HEADER, parseRefUpdates } from "./push-hook.js";
import type { Routes } from "./routes/route.js";
import type { InstallationToken, RouteStats } from "./types.js";

/**
 * The request pipeline: match the request to an operation of GitHub's description, count it,
 * authenticate, validate the body, run the emulated route, and check the answer against the
 * description too, so a shape the emulator gets wrong fails loudly instead of misleading the app.
 */
export function createHandler(
  core: Core,
  routes: Routes,
  opts: { checkResponses: boolean },
): {
  handle(req: IncomingMessage, res: ServerResponse): void;
  stats(): RouteStats;
  resetStats(): void;
} {
  let stats: RouteStats = { total: 0, invalid: 0, byRoute: {}, invalidRequests: [] };

  async function answer(req: IncomingMessage, url: URL, raw: Buffer): Promise<Reply> {
    const method = req.method ?? "GET";
    const match = matchRoute(method, url.pathname);
    const invalid = (status: number, message: string, extra: Record<string, unknown> = {}) => {
      stats.invalid++;
      stats.invalidRequests.push({ method, path: url.pathname, status, message });
      return { status, body: { message, ...extra } };
    };
    if (!match) return invalid(404, "Not Found");
    const { op, params } = match;
    const key = `${op.method} ${op.template}`;
    stats.byRoute[key] = (stats.byRoute[key] ?? 0) + 1;
    // Before anything else runs: a failed request changes nothing.
    const fault = core.faults.nextApiFault();
    if (fault) return faultReply(fault, newRequestId());
    const route = routes[key];
    if (!route) {
      return invalid(501, `Not Implemented: the GitHub emulator does not serve ${key}`);
    }

    const authorization = bearer(req.headers.authorization);
    let token: InstallationToken | undefined;
    if (route.auth === "app") {
      verifyAppJwt(authorization, [core.app.id, core.app.clientId], core.opts.appPublicKey);
    } else {
      token = authorization ? core.store.tokens.get(authorization) : undefined;
      if (!token)
        throw new HttpError(401, authorization ? "Bad credentials" : "Requires authentication");
      if (token.expiresAt <= Date.now()) throw new HttpError(401, "Bad credentials");
    }

    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        return invalid(400, "Problems parsing JSON");
      }
    }
    const issues = validateBody(op, body);
    if (issues.length > 0) {
      return invalid(422, "Validation Failed", {
        errors: issues.map((i) => ({ resource: op.operationId, ...i })),
        documentation_url: op.docsUrl,
        status: "422",
      });
    }

    const reply = await route.handle({
      core,
      params,
      query: url.searchParams,
      body,
      headers: req.headers,
      url: url.toString(),
      token,
    });
    if (opts.checkResponses && reply.body !== undefined && !reply.raw && !UNCHECKABLE.has(key)) {
      const problem = checkResponse(op, reply.status, reply.body);
      if (problem)
        throw new Error(`emulator bug: ${key} answered a shape GitHub never sends: ${problem}`);
    }
    return reply;
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const started = Date.now();
      const url = new URL(req.url ?? "/", core.base);
      const internal = url.pathname === PUSH_PATH;
      if (!internal) stats.total++;
      (internal
        ? answerPush(core, req, Buffer.concat(chunks))
        : answer(req, url, Buffer.concat(chunks))
      )
        .catch((error: unknown): Reply => {
          if (error instanceof HttpError) {
            return { status: error.status, body: { message: error.message, ...error.extra } };
          }
          core.opts.log?.error({ err: error, url: url.pathname }, "emulator route failed");
          return { status: 500, body: { message: String((error as Error)?.message ?? error) } };
        })
        .then((reply) => {
          if (reply.hold) return;
          send(res, reply);
          core.opts.log?.debug(
            {
              method: req.method,
              path: url.pathname,
              status: reply.status,
              ms: Date.now() - started,
            },
            "emulator request",
          );
        });
    });
  }

  return {
    handle,
    stats: () => structuredClone(stats),
    resetStats: () => {
      stats = { total: 0, invalid: 0, byRoute: {}, invalidRequests: [] };
    },
  };
}

/**
 * The post-receive hooks' notice that refs moved. Not GitHub's API, so it is neither validated
 * against the description nor counted; the per-emulator secret keeps anything else out.
 */
async function answerPush(core: Core, req: IncomingMessage, raw: Buffer): Promise<Reply> {
  if (req.method !== "POST" || req.headers[PUSH_SECRET_HEADER] !== core.pushSecret) {
    return { status: 403, body: { message: "Forbidden" } };
  }
  const updates = parseRefUpdates(raw.toString("utf8"));
  if (!updates) return { status: 400, body: { message: "Bad push notice" } };
  const repo = core.store.repo(String(req.headers[PUSH_REPO_HEADER] ?? ""));
  if (!repo) return { status: 404, body: { message: "Not Found" } };
  await core.pushed(repo, updates);
  return { status: 204 };
}

/** Operations whose published response schema no real answer can satisfy. */
const UNCHECKABLE = new Set([
  // The inline schema requires `account` to be a user and an enterprise at once (allOf).
  "GET /app/installations",
]);

function newRequestId(): string {
  return randomBytes(8).toString("hex").toUpperCase();
}

function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = {
    "x-github-media-type": "github.v3; format=json",
    "x-github-api-version-selected": "2022-11-28",
    "x-github-request-id": newRequestId(),
    "x-ratelimit-limit": "5000",
    "x-ratelimit-remaining": "4999",
    "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
    "x-ratelimit-used": "1",
    "x-ratelimit-resource": "core",
    ...reply.headers,
  };
  if (reply.raw) {
    res.writeHead(reply.status, { ...headers, "content-type": reply.raw.contentType });
    res.end(reply.raw.text);
    return;
  }
  if (reply.body === undefined) {
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  res.writeHead(reply.status, { ...headers, "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(reply.body));
}
