import { STATUS_CODES } from "node:http";
import type { Core } from "../core.js";
import { HttpError, notFound, type Reply } from "../http.js";
import { timestamp } from "../store.js";
import type { Delivery } from "../types.js";
import type { Routes } from "./route.js";

/**
 * The app's webhook deliveries, as GitHub lists them for redelivery: one item per attempt,
 * newest first, with cursor pagination; a redelivery keeps the guid and gets an id of its own.
 */
export const hookRoutes: Routes = {
  "GET /app/hook/deliveries": {
    auth: "app",
    handle: ({ core, query, url }) => listDeliveries(core, query, url),
  },

  "POST /app/hook/deliveries/{delivery_id}/attempts": {
    auth: "app",
    handle: ({ core, params }) => {
      const attempt = core.hooks.attempts().find((d) => d.attemptId === Number(params.delivery_id));
      if (!attempt) throw notFound();
      // Accepted, not awaited: GitHub queues the redelivery.
      void core.hooks.redeliver(attempt.id);
      return { status: 202, body: {} };
    },
  },
};

function listDeliveries(core: Core, query: URLSearchParams, selfUrl: string): Reply {
  const perPage = Math.min(100, Math.max(1, Number(query.get("per_page")) || 30));
  const wanted = query.get("status");
  const listed = core.hooks
    .attempts()
    .filter((d) => wanted === null || outcomeOf(d.status) === wanted)
    .sort((a, b) => (b.deliveredAt ?? 0) - (a.deliveredAt ?? 0) || b.attemptId - a.attemptId);
  const cursor = query.get("cursor");
  let start = 0;
  if (cursor !== null) {
    const match = /^v1_(\d+)$/.exec(cursor);
    start = match ? listed.findIndex((d) => d.attemptId === Number(match[1])) : -1;
    if (start < 0) throw new HttpError(422, "Invalid cursor");
  }
  const page = listed.slice(start, start + perPage);
  const next = listed[start + perPage];
  const headers: Record<string, string> = {};
  if (next) {
    const link = new URL(selfUrl);
    link.searchParams.set("per_page", String(perPage));
    link.searchParams.set("cursor", `v1_${next.attemptId}`);
    headers.link = `<${link.toString()}>; rel="next"`;
  }
  return { status: 200, body: page.map(render), headers };
}

/** GitHub's `status` filter: success is 200-399, failure 400-599 (a timeout is in neither). */
function outcomeOf(status: number): "success" | "failure" | null {
  if (status >= 200 && status < 400) return "success";
  if (status >= 400 && status < 600) return "failure";
  return null;
}

function render(d: Delivery) {
  const payload = d.payload as { installation?: { id?: number }; repository?: { id?: number } };
  return {
    id: d.attemptId,
    guid: d.id,
    delivered_at: timestamp(d.deliveredAt),
    redelivery: d.redelivery,
    duration: (d.durationMs ?? 0) / 1000,
    status: statusText(d),
    status_code: d.status,
    event: d.event,
    action: d.action ?? null,
    installation_id: payload.installation?.id ?? null,
    repository_id: payload.repository?.id ?? null,
    throttled_at: null,
  };
}

function statusText(d: Delivery): string {
  if (d.status >= 200 && d.status < 300) return "OK";
  if (d.status > 0)
    return `Invalid HTTP Response: ${d.status} ${STATUS_CODES[d.status] ?? ""}`.trim();
  return d.error === "timed out" ? "timed out" : "failed to connect";
}
