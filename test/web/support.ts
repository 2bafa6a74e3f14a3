import { Writable } from "node:stream";
import { type Logger, pino } from "pino";
import { type Clock, systemClock } from "../../src/config/clock.js";
import type { Db } from "../../src/db/client.js";
import { REDACT_PATHS } from "../../src/log.js";
import { startWebhookServer } from "../../src/server.js";
import { type Dashboard, dashboardRoutes } from "../../src/web/dashboard.js";
import { TEST_PRIVATE_KEY } from "../helpers/keys.js";

/** A pino logger like the app's (same redaction), keeping every line it writes. */
export function capturingLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const log = pino({ level: "trace", redact: { paths: REDACT_PATHS, censor: "[redacted]" } }, sink);
  return { log, lines };
}

export interface DashboardServer {
  url: string;
  dashboard: Dashboard;
  close(): Promise<void>;
}

/** The real webhook server on 127.0.0.1 with the dashboard as its extra route. */
export async function startDashboardServer(input: {
  db: Db;
  databaseUrl: string;
  token?: string;
  clock?: Clock;
  log?: Logger;
  pageRefreshMs?: number;
  keepAliveMs?: number;
}): Promise<DashboardServer> {
  const log = input.log ?? pino({ level: "silent" });
  const dashboard = dashboardRoutes({
    db: input.db,
    databaseUrl: input.databaseUrl,
    clock: input.clock ?? systemClock,
    log,
    token: input.token,
    ...(input.pageRefreshMs === undefined ? {} : { pageRefreshMs: input.pageRefreshMs }),
    ...(input.keepAliveMs === undefined ? {} : { keepAliveMs: input.keepAliveMs }),
  });
  const server = await startWebhookServer({
    db: input.db,
    log,
    appId: 1,
    privateKey: TEST_PRIVATE_KEY,
    webhookSecret: "test-webhook-secret",
    webhookPath: "/api/github/webhooks",
    githubApiUrl: "http://127.0.0.1:9",
    port: 0,
    host: "127.0.0.1",
    routes: [dashboard.route],
  });
  return {
    url: server.url,
    dashboard,
    close: async () => {
      await dashboard.close();
      await server.close();
    },
  };
}
