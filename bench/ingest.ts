/**
 * Webhook ingest: signed webhooks per second through the real webhook server, against a bare
 * node:http server with @octokit/webhooks' middleware and a no-op handler, under the same load.
 *
 *   npx tsx bench/ingest.ts [--concurrency 8] [--seconds 10] [--same-delivery-id]
 *                           [--github cached|emulator]
 *
 * Three processes share the machine: the server under test (this one), the load client and, for
 * the app's runs, the GitHub emulator answering the app's requests. What the app does for each
 * replayed delivery:
 * - `issues.labeled` with a label that is not the trigger: verify (twice: the guard in front of
 *   Probot, then Probot), parse, route, read the repo's fleet.yml from GitHub (the trigger label
 *   is per repository, so it cannot know the label is not its own without it), clear any
 *   recorded config error (one UPDATE), ignore. No delivery row: only deliveries that act are
 *   deduplicated, so a repeated X-GitHub-Delivery changes nothing on this path.
 * - `issues.opened`: verify, parse, route to no handler (a metric is counted).
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { createNodeMiddleware, Webhooks } from "@octokit/webhooks";
import { sign } from "@octokit/webhooks-methods";
import { destination, pino } from "pino";
import { textTable } from "../src/cli/text-table.js";
import { createClock } from "../src/config/clock.js";
import { createDb } from "../src/db/client.js";
import { migrate } from "../src/db/migrate.js";
import { startWebhookServer } from "../src/server.js";
import { appKeyPair } from "../src/sim/app-keys.js";
import { startChild } from "./child.js";
import type { ClientResult, ClientSettings } from "./ingest-client.js";
import type { CapturedDelivery, IngestGitHub } from "./ingest-github.js";
import { printMachine } from "./machine.js";
import { benchPostgres } from "./postgres.js";

const { values: args } = parseArgs({
  options: {
    concurrency: { type: "string", default: "8" },
    seconds: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    "same-delivery-id": { type: "boolean", default: false },
    /** `emulator`: the app's GitHub reads go to the emulator itself, git read and all. */
    github: { type: "string", default: "cached" },
  },
});
const APP_ID = 1;
const WEBHOOK_PATH = "/api/github/webhooks";

interface Run {
  server: string;
  delivery: string;
  result: ClientResult;
  githubRequests: number | null;
}

async function main(): Promise<void> {
  const postgres = await benchPostgres();
  const runs: Run[] = [];
  try {
    const url = await postgres.createDatabase("bench_ingest");
    await printMachine(url);
    const { db, close } = createDb(url);
    await migrate(db);

    const { privateKey, publicKey } = appKeyPair();
    const secret = randomBytes(20).toString("hex");
    const github = startChild("./ingest-github.ts", {
      BENCH_WEBHOOK_SECRET: secret,
      BENCH_APP_ID: String(APP_ID),
      BENCH_APP_PUBLIC_KEY: publicKey,
      BENCH_GITHUB: args.github,
    });
    try {
      const fixtures = JSON.parse(await github.firstLine) as IngestGitHub;
      const githubRequests = countRequestsTo(fixtures.url);
      const log = pino({ level: "info" }, destination({ dest: "/dev/null", sync: false }));
      const app = await startWebhookServer({
        db,
        clock: createClock(1),
        log,
        appId: APP_ID,
        privateKey,
        webhookSecret: secret,
        webhookPath: WEBHOOK_PATH,
        githubApiUrl: fixtures.url,
        githubThrottle: false,
        port: 0,
        host: "127.0.0.1",
      });
      try {
        for (const [name, delivery] of [
          ["issues.labeled, not the trigger", fixtures.labeled],
          ["issues.opened, no handler", fixtures.opened],
        ] as const) {
          const before = githubRequests.count;
          const result = await load(app.webhookUrl, delivery, secret);
          runs.push({
            server: "agent-fleet",
            delivery: name,
            result,
            // Warm-up requests are counted too: divide by every request sent.
            githubRequests: (githubRequests.count - before) / result.sent,
          });
        }
      } finally {
        await app.close();
      }
      const bare = await startBareServer(secret);
      try {
        runs.push({
          server: "bare @octokit/webhooks",
          delivery: "issues.labeled",
          result: await load(bare.url, fixtures.labeled, secret),
          githubRequests: null,
        });
      } finally {
        await bare.close();
      }
    } finally {
      await github.stop();
      await close();
    }
    report(runs);
  } finally {
    await postgres.close();
  }
}

/** Runs the load client against `url` and returns its figures. */
async function load(
  url: string,
  delivery: CapturedDelivery,
  secret: string,
): Promise<ClientResult & { sent: number }> {
  const settings: ClientSettings = {
    url,
    event: delivery.event,
    body: delivery.body,
    signature: await sign(secret, delivery.body),
    concurrency: Number(args.concurrency),
    seconds: Number(args.seconds),
    warmupSeconds: Number(args.warmup),
    sameDeliveryId: args["same-delivery-id"],
  };
  const client = startChild("./ingest-client.ts", {
    BENCH_INGEST_CLIENT: JSON.stringify(settings),
  });
  const result = JSON.parse(await client.firstLine) as ClientResult;
  await client.exited;
  return { ...result, sent: result.requests + result.warmupRequests };
}

/** What the app is compared with: verify and parse with @octokit/webhooks, then nothing. */
async function startBareServer(secret: string): Promise<{ url: string; close(): Promise<void> }> {
  const webhooks = new Webhooks({ secret });
  webhooks.on("issues.labeled", () => {});
  const middleware = createNodeMiddleware(webhooks, { path: WEBHOOK_PATH });
  const server: Server = createServer((req, res) => {
    void middleware(req, res, () => res.writeHead(404).end());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${WEBHOOK_PATH}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Counts this process's fetch calls to GitHub (the emulator): what the app asks per webhook. */
function countRequestsTo(baseUrl: string): { count: number } {
  const counter = { count: 0 };
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const target = input instanceof Request ? input.url : String(input);
    if (target.startsWith(baseUrl)) counter.count++;
    return realFetch(input, init);
  };
  return counter;
}

function report(runs: readonly Run[]): void {
  const ids = args["same-delivery-id"]
    ? "one X-GitHub-Delivery for all"
    : "a fresh X-GitHub-Delivery each";
  const github =
    args.github === "emulator"
      ? "GitHub reads answered by the emulator (a git read each)"
      : "repeated GitHub reads answered from memory";
  console.log(
    `${args.concurrency} keep-alive connections, ${args.seconds} s after ${args.warmup} s of warm-up, ${ids}, ${github}\n`,
  );
  const bare = runs.find((r) => r.server.startsWith("bare"))?.result.perSecond ?? 0;
  console.log(
    textTable(
      ["server", "delivery", "webhooks/s", "vs bare", "GitHub requests each", "answers"],
      runs.map((r) => [
        r.server,
        r.delivery,
        r.result.perSecond.toFixed(0),
        bare > 0 ? `${(r.result.perSecond / bare).toFixed(2)}x` : "-",
        r.githubRequests === null ? "-" : r.githubRequests.toFixed(2),
        Object.entries(r.result.statuses)
          .map(([status, n]) => `${n} x ${status}`)
          .join(", "),
      ]),
    ),
  );
  const labeled = runs.find(
    (r) => r.server === "agent-fleet" && r.delivery.startsWith("issues.labeled"),
  );
  const rate = labeled?.result.perSecond ?? 0;
  console.log(
    `\ntarget: at least 1,000 signed webhooks/s (${rate >= 1000 ? "met" : "not met"}: ${rate.toFixed(0)} for the ignored label)`,
  );
}

await main();
