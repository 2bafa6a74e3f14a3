import type { IncomingHttpHeaders } from "node:http";
import type { Core } from "../core.js";
import type { Reply } from "../http.js";
import type { InstallationToken } from "../types.js";

export interface RouteContext {
  core: Core;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Already checked against the operation's requestBody schema. */
  // biome-ignore lint/suspicious/noExplicitAny: bodies are validated by the OpenAPI schema, not by TS
  body: any;
  headers: IncomingHttpHeaders;
  /** Full request URL, for pagination links. */
  url: string;
  /** The installation token the request carried (routes with `auth: "installation"`). */
  token: InstallationToken | undefined;
}

export interface Route {
  /** "app": a JWT signed by the app's key; "installation": an installation token. */
  auth: "app" | "installation";
  handle(ctx: RouteContext): Promise<Reply> | Reply;
}

/** Keyed by "METHOD /openapi/path/{template}", the same key the stats use. */
export type Routes = Record<string, Route>;
