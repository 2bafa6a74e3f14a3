import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { DbOrTx } from "../db/client.js";
import { healthRoute } from "./health.js";
import { type HttpRoute, serveRoutes } from "./route.js";

export interface OpsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The HTTP side of a process that runs no webhook server (`fleet runner`): /healthz, /readyz
 * and the given routes (/metrics), so a container health check and a scraper reach it too.
 * Null when the port is taken: a runner keeps running its agents without it.
 */
export async function startOpsServer(options: {
  db: DbOrTx;
  log: Logger;
  port: number;
  host: string | undefined;
  routes?: readonly HttpRoute[];
}): Promise<OpsServer | null> {
  const routes = [healthRoute(options.db), ...(options.routes ?? [])];
  const server: Server = createServer((req, res) => {
    serveRoutes(routes, req, res)
      .then((answered) => {
        if (!answered)
          res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
      })
      .catch((error: unknown) => {
        options.log.error({ err: error }, "ops request failed");
        if (!res.headersSent) res.writeHead(500).end();
      });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.host, () => resolve());
    });
  } catch (error) {
    options.log.error(
      { err: error, port: options.port },
      "ops server could not listen; /healthz, /readyz and /metrics are unavailable",
    );
    return null;
  }
  const { port } = server.address() as AddressInfo;
  const host = !options.host || options.host === "0.0.0.0" ? "127.0.0.1" : options.host;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  options.log.info({ url }, "ops server listening");
  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
