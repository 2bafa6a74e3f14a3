import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { createNodeMiddleware, Probot } from "probot";
import { type Clock, systemClock } from "./config/clock.js";
import type { Db } from "./db/client.js";
import {
  createFleetConfigCache,
  DEFAULT_CONFIG_CACHE_TTL_MS,
} from "./github/fleet-config-cache.js";
import { fleetGitHubClient } from "./github/octokit-class.js";
import { fleetApp } from "./handlers/index.js";
import { healthRoute } from "./http/health.js";
import { type HttpRoute, serveRoutes } from "./http/route.js";
import { webhookGuard } from "./http/webhook-guard.js";
import { webhooksReceived } from "./metrics/registry.js";

export interface WebhookServerOptions {
  db: Db;
  /** The policy's timeouts run on it (the simulator speeds it up). */
  clock?: Clock;
  log: Logger;
  appId: number;
  privateKey: string;
  webhookSecret: string;
  webhookPath: string;
  githubApiUrl: string | undefined;
  /** Probot's write pacing; rate-limit retries stay on either way. */
  githubThrottle?: boolean;
  /** Real ms a GitHub request may wait for an answer before it is retried. */
  githubTimeoutMs?: number;
  /** How long a repository's fleet.yml is reused without a push changing it; 0 reads it each time. */
  configCacheTtlMs?: number;
  port: number;
  host: string | undefined;
  /** Pages served beside the webhooks: metrics, the dashboard. */
  routes?: readonly HttpRoute[];
}

export interface RunningServer {
  probot: Probot;
  url: string;
  webhookUrl: string;
  close(): Promise<void>;
}

/** The stateless half: verifies signed webhooks and hands each to its handler. */
export async function startWebhookServer(options: WebhookServerOptions): Promise<RunningServer> {
  const probot = new Probot({
    appId: options.appId,
    privateKey: options.privateKey,
    secret: options.webhookSecret,
    log: options.log.child({ name: "probot" }),
    ...fleetGitHubClient({
      pacing: options.githubThrottle ?? true,
      timeoutMs: options.githubTimeoutMs,
    }),
    ...(options.githubApiUrl ? { baseUrl: options.githubApiUrl } : {}),
  });
  probot.onAny((event) => webhooksReceived.inc({ event: event.name }));
  const configTtlMs = options.configCacheTtlMs ?? DEFAULT_CONFIG_CACHE_TTL_MS;
  const configCache =
    configTtlMs > 0
      ? createFleetConfigCache({ clock: options.clock ?? systemClock, ttlMs: configTtlMs })
      : undefined;
  const middleware = await createNodeMiddleware(
    fleetApp({
      db: options.db,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(configCache ? { configCache } : {}),
    }),
    {
      probot,
      webhooksPath: options.webhookPath,
    },
  );
  const routes = [
    webhookGuard({ path: options.webhookPath, secret: options.webhookSecret }),
    healthRoute(options.db),
    ...(options.routes ?? []),
  ];
  const server: Server = createServer((req, res) => {
    serveRoutes(routes, req, res)
      .then(
        (answered) =>
          answered ||
          middleware(req, res, () => {
            res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
          }),
      )
      .catch((error: unknown) => {
        options.log.error({ err: error }, "request failed");
        if (!res.headersSent) res.writeHead(500).end();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = !options.host || options.host === "0.0.0.0" ? "127.0.0.1" : options.host;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  options.log.info({ url, webhookPath: options.webhookPath }, "webhook server listening");
  return {
    probot,
    url,
    webhookUrl: `${url}${options.webhookPath}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
