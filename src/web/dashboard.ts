import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { Clock } from "../config/clock.js";
import type { DbOrTx } from "../db/client.js";
import type { HttpRoute } from "../http/route.js";
import { checkAccess } from "./access.js";
import { loadOverview, loadTaskDetail } from "./dashboard-data.js";
import { createEventHub } from "./event-hub.js";
import { type Html, html } from "./html.js";
import { layout } from "./layout.js";
import { overviewContent } from "./overview-page.js";
import { taskContent } from "./task-page.js";

export interface DashboardDeps {
  db: DbOrTx;
  /** For the one LISTEN connection the live updates come from. */
  databaseUrl: string;
  clock: Clock;
  log: Logger;
  /** FLEET_DASHBOARD_TOKEN: when set, required from everyone; without it, loopback only. */
  token?: string | undefined;
  /** Between the event stream's keep-alive comments (configured ms, through the clock). */
  keepAliveMs?: number;
  /** Between a page's own refreshes of its ages (configured ms, through the clock); 0: never. */
  pageRefreshMs?: number;
}

export interface Dashboard {
  route: HttpRoute;
  /** Ends every event stream and the LISTEN connection. */
  close(): Promise<void>;
}

const TASK_PATH = /^\/fleet\/tasks\/(\d{1,15})$/;

const COMMON_HEADERS = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

function sendText(res: ServerResponse, status: number, text: string, headers = {}): void {
  res
    .writeHead(status, {
      ...COMMON_HEADERS,
      "content-type": "text/plain; charset=utf-8",
      ...headers,
    })
    .end(`${text}\n`);
}

/** A whole page, or with `?fragment=1` only its content, which the page script swaps in. */
function sendPage(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  input: { title: string; content: Html; refreshMs: number; taskId?: number; status?: number },
): void {
  const status = input.status ?? 200;
  if (url.searchParams.has("fragment")) {
    res.writeHead(status, {
      ...COMMON_HEADERS,
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": "default-src 'none'",
    });
    res.end(req.method === "HEAD" ? undefined : input.content.value);
    return;
  }
  const page = layout({
    title: input.title,
    content: input.content,
    fragmentUrl: `${url.pathname}?fragment=1`,
    refreshMs: input.refreshMs,
    ...(input.taskId === undefined ? {} : { taskId: input.taskId }),
  });
  res.writeHead(status, {
    ...COMMON_HEADERS,
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": page.contentSecurityPolicy,
  });
  res.end(req.method === "HEAD" ? undefined : page.html);
}

/**
 * The live dashboard under /fleet: the overview, one page per task and the event stream that
 * refreshes them. Every other path is left to the next route.
 */
export function dashboardRoutes(deps: DashboardDeps): Dashboard {
  const hub = createEventHub({
    databaseUrl: deps.databaseUrl,
    clock: deps.clock,
    log: deps.log,
    ...(deps.keepAliveMs === undefined ? {} : { keepAliveMs: deps.keepAliveMs }),
  });
  const secrets = deps.token ? [deps.token] : [];
  const refreshMs = Math.round(deps.clock.scale(deps.pageRefreshMs ?? 30_000));

  const route: HttpRoute = async (req, res) => {
    const url = new URL(req.url ?? "/", "http://dashboard.invalid");
    if (url.pathname !== "/fleet" && !url.pathname.startsWith("/fleet/")) return false;

    const access = checkAccess(req, url, deps.token);
    if (access.kind === "refused") {
      sendText(
        res,
        access.status,
        access.message,
        access.status === 401 ? { "www-authenticate": 'Bearer realm="agent-fleet"' } : {},
      );
      return true;
    }
    if (access.kind === "redirect") {
      res
        .writeHead(303, {
          ...COMMON_HEADERS,
          location: access.location,
          "set-cookie": access.cookie,
        })
        .end();
      return true;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendText(res, 405, "method not allowed", { allow: "GET, HEAD" });
      return true;
    }

    if (url.pathname === "/fleet" || url.pathname === "/fleet/") {
      const overview = await loadOverview(deps.db);
      sendPage(req, res, url, {
        title: "agent-fleet",
        content: overviewContent(overview, deps.clock),
        refreshMs,
      });
      return true;
    }
    if (url.pathname === "/fleet/events") {
      if (req.method === "GET") await hub.attach(req, res);
      else sendText(res, 405, "method not allowed", { allow: "GET" });
      return true;
    }
    const taskMatch = TASK_PATH.exec(url.pathname);
    if (taskMatch) {
      const taskId = Number(taskMatch[1]);
      const detail = await loadTaskDetail(deps.db, taskId);
      if (!detail) {
        sendPage(req, res, url, {
          title: "no such task",
          content: html`<h1>No task ${taskId}</h1><p><a href="/fleet">back to the overview</a></p>`,
          status: 404,
          refreshMs: 0,
        });
        return true;
      }
      sendPage(req, res, url, {
        title: `task ${taskId}: ${detail.task.issueTitle}`,
        content: taskContent(detail, { clock: deps.clock, secrets }),
        refreshMs,
        taskId,
      });
      return true;
    }
    sendText(res, 404, "not found");
    return true;
  };

  return { route, close: () => hub.close() };
}
