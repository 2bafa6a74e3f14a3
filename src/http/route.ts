import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * One extra page or endpoint of the app's HTTP server (/metrics, /fleet, ...). It answers and
 * returns true when the request is its own, and returns false without touching `res` otherwise.
 */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

/** Runs the routes in order; true when one of them answered. */
export async function serveRoutes(
  routes: readonly HttpRoute[],
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  for (const route of routes) {
    if (await route(req, res)) return true;
  }
  return false;
}
