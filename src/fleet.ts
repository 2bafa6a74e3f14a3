import type { Logger } from "pino";
import { Probot, run as runProbotSetup } from "probot";
import { createClock } from "./config/clock.js";
import type { Settings } from "./config/settings.js";
import { startDashboardIssueUpdater } from "./dashboard-issue/updater.js";
import { createDb, type Db } from "./db/client.js";
import { runningEmbeddedUrl, startEmbeddedPostgres } from "./db/embedded.js";
import { migrate } from "./db/migrate.js";
import { probotDashboardIssueGitHubFactory } from "./github/dashboard-issue-github.js";
import { fleetGitHubClient } from "./github/octokit-class.js";
import { probotDeliveryFactory } from "./github/octokit-github.js";
import { probotPullGitHubFactory } from "./github/pull-github.js";
import { probotRedeliveryGitHub } from "./github/redelivery-github.js";
import { probotReportGitHub } from "./github/report-github.js";
import { fleetApp } from "./handlers/index.js";
import { startOpsServer } from "./http/ops-server.js";
import { DeadlineSweeper, pullEvaluator } from "./merge/index.js";
import { metricsRoute } from "./metrics/route.js";
import { startReportScheduler } from "./report/scheduler.js";
import { Runner } from "./runner/runner.js";
import { startWebhookServer } from "./server.js";
import { dashboardRoutes } from "./web/dashboard.js";
import {
  DEFAULT_REDELIVERY_INTERVAL_MS,
  RedeliverySweeper,
} from "./webhooks/redelivery-sweeper.js";

export type FleetMode = "all" | "server" | "runner";

export interface RunningFleet {
  db: Db;
  databaseUrl: string;
  webhookUrl?: string;
  runner?: Runner;
  stop(options?: { drain?: boolean }): Promise<void>;
}

/**
 * Opens the database (embedded when no DATABASE_URL) and applies migrations. With `share`, an
 * embedded server a running fleet already holds is used as it is, never restarted.
 */
export async function openDatabase(
  settings: Settings,
  log: Logger,
  options: { share?: boolean } = {},
) {
  let stopEmbedded: (() => Promise<void>) | undefined;
  let url = settings.databaseUrl;
  if (!url && options.share) url = await runningEmbeddedUrl(settings.pgDir);
  if (!url) {
    log.info({ dir: settings.pgDir }, "no DATABASE_URL; starting embedded PostgreSQL");
    const embedded = await startEmbeddedPostgres({ dataDir: settings.pgDir, log });
    url = embedded.url;
    stopEmbedded = embedded.stop;
  }
  const { db, close } = createDb(url, { log });
  await migrate(db);
  return {
    db,
    url,
    close: async () => {
      await close();
      await stopEmbedded?.();
    },
  };
}

/** `fleet start | server | runner`: the webhook server, a runner, or both in one process. */
export async function startFleet(
  mode: FleetMode,
  settings: Settings,
  log: Logger,
): Promise<RunningFleet> {
  const database = await openDatabase(settings, log);
  const clock = createClock(settings.clockSpeed ?? 1);
  const closers: Array<(drain: boolean) => Promise<void>> = [];
  const fleet: RunningFleet = {
    db: database.db,
    databaseUrl: database.url,
    async stop(options = {}) {
      for (const close of closers.reverse()) await close(options.drain ?? false);
      await database.close();
    },
  };
  try {
    const credentials = settings.appId && settings.privateKey;
    if (!credentials) {
      log.warn(
        "GitHub App credentials are not configured (APP_ID and PRIVATE_KEY or PRIVATE_KEY_PATH, plus WEBHOOK_SECRET). " +
          `Open http://localhost:${settings.port} to register the app from app.yml; the settings are written to .env. ` +
          "Restart agent-fleet afterwards. No runner starts until then.",
      );
      if (mode !== "runner") {
        const setup = await runProbotSetup(fleetApp({ db: database.db }), {
          env: { ...process.env, PORT: String(settings.port) },
          log,
        });
        closers.push(() => setup.stop());
      }
      return fleet;
    }
    if (!settings.webhookSecret) throw new Error("WEBHOOK_SECRET is required with APP_ID");

    if (mode !== "runner") {
      const dashboard = dashboardRoutes({
        db: database.db,
        databaseUrl: database.url,
        clock,
        log: log.child({ name: "dashboard" }),
        token: settings.dashboardToken,
      });
      closers.push(() => dashboard.close());
      const server = await startWebhookServer({
        db: database.db,
        clock,
        log,
        appId: settings.appId as number,
        privateKey: settings.privateKey as string,
        webhookSecret: settings.webhookSecret,
        webhookPath: settings.webhookPath,
        githubApiUrl: settings.githubApiUrl,
        githubThrottle: settings.githubThrottle,
        githubTimeoutMs: settings.githubTimeoutMs,
        configCacheTtlMs: settings.configCacheTtlMs,
        port: settings.port,
        host: settings.host,
        routes: [metricsRoute(database.db), dashboard.route],
      });
      fleet.webhookUrl = server.webhookUrl;
      closers.push(() => server.close());
      // GitHub never redelivers a failed webhook by itself: the server processes sweep for them.
      const redelivery = new RedeliverySweeper({
        db: database.db,
        clock,
        log: log.child({ name: "redelivery" }),
        github: probotRedeliveryGitHub(server.probot),
        intervalMs: settings.redeliveryIntervalMs ?? DEFAULT_REDELIVERY_INTERVAL_MS,
      });
      redelivery.start();
      closers.push(() => redelivery.stop());
    }
    if (mode === "runner") {
      // No webhook server here: health checks and the scraper still need an HTTP endpoint.
      const ops = await startOpsServer({
        db: database.db,
        log,
        port: settings.port,
        host: settings.host,
        routes: [metricsRoute(database.db)],
      });
      if (ops) closers.push(() => ops.close());
    }
    if (mode !== "server") {
      const probot = new Probot({
        appId: settings.appId as number,
        privateKey: settings.privateKey as string,
        log: log.child({ name: "probot" }),
        ...fleetGitHubClient({
          pacing: settings.githubThrottle,
          timeoutMs: settings.githubTimeoutMs,
        }),
        ...(settings.githubApiUrl ? { baseUrl: settings.githubApiUrl } : {}),
      });
      const policyDeps = { db: database.db, clock, log: log.child({ name: "policy" }) };
      const pulls = probotPullGitHubFactory(probot);
      const runner = new Runner({
        db: database.db,
        databaseUrl: database.url,
        dataDir: settings.dataDir,
        clock,
        log: log.child({ name: "runner" }),
        github: probotDeliveryFactory(probot),
        // A pushed PR is judged at once: its checks may already have finished meanwhile.
        afterPullOpened: pullEvaluator(policyDeps, pulls),
        capacity: settings.runnerConcurrency,
        leaseMs: settings.leaseTtlMs,
        ...(settings.runnerId ? { id: settings.runnerId } : {}),
        ...(settings.defaultAgentCommand
          ? { defaultAgentCommand: settings.defaultAgentCommand }
          : {}),
      });
      await runner.start();
      fleet.runner = runner;
      // Each part's closer is pushed as soon as it runs (closers run in reverse), so a part that
      // fails to start still has the ones before it stopped.
      closers.push(async (drain) => {
        if (drain) await runner.drain();
        await runner.stop();
      });
      const sweeper = new DeadlineSweeper(policyDeps, pulls);
      sweeper.start();
      closers.push(() => sweeper.stop());
      const dashboardIssue = await startDashboardIssueUpdater({
        db: database.db,
        databaseUrl: database.url,
        clock,
        log,
        github: probotDashboardIssueGitHubFactory(probot),
      });
      closers.push(() => dashboardIssue.stop());
      const reports = startReportScheduler({
        db: database.db,
        clock,
        log: log.child({ name: "report" }),
        github: probotReportGitHub(probot),
      });
      closers.push(() => reports.stop());
    }
    return fleet;
  } catch (error) {
    await fleet.stop().catch(() => undefined);
    throw error;
  }
}
