import { pino } from "pino";
import type { Db } from "../../src/db/client.js";
import {
  type RunningServer,
  startWebhookServer,
  type WebhookServerOptions,
} from "../../src/server.js";
import { TEST_PRIVATE_KEY } from "./keys.js";

export const TEST_WEBHOOK_SECRET = "test-webhook-secret";

/**
 * The webhook server on a free loopback port, signed with TEST_WEBHOOK_SECRET. GitHub is a
 * closed port: any call the app made would fail the delivery.
 */
export function startTestWebhookServer(
  db: Db,
  overrides: Partial<WebhookServerOptions> = {},
): Promise<RunningServer> {
  return startWebhookServer({
    db,
    log: pino({ level: "silent" }),
    appId: 1,
    privateKey: TEST_PRIVATE_KEY,
    webhookSecret: TEST_WEBHOOK_SECRET,
    webhookPath: "/api/github/webhooks",
    githubApiUrl: "http://127.0.0.1:9",
    port: 0,
    host: "127.0.0.1",
    ...overrides,
  });
}
