/**
 * The ingest bench's load: `concurrency` keep-alive connections, each POSTing one pre-signed
 * webhook after another for `seconds`, after a warm-up that is not counted. Runs in its own
 * process so the server under test has its event loop to itself. Prints one JSON line.
 *
 * Started by bench/ingest.ts with its settings as JSON in BENCH_INGEST_CLIENT.
 */
import { randomUUID } from "node:crypto";
import { Agent, request } from "node:http";

export interface ClientSettings {
  url: string;
  event: string;
  body: string;
  signature: string;
  concurrency: number;
  seconds: number;
  warmupSeconds: number;
  /** One X-GitHub-Delivery for every request instead of a fresh one each (GitHub's way). */
  sameDeliveryId: boolean;
}

export interface ClientResult {
  requests: number;
  /** Sent during the warm-up, not in `requests`. */
  warmupRequests: number;
  seconds: number;
  perSecond: number;
  statuses: Record<string, number>;
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.env.BENCH_INGEST_CLIENT ?? "") as ClientSettings;
  const agent = new Agent({ keepAlive: true, maxSockets: settings.concurrency });
  const body = Buffer.from(settings.body);
  const fixedId = randomUUID();
  const target = new URL(settings.url);
  const post = () =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: "POST",
          headers: {
            "content-type": "application/json",
            "content-length": body.length,
            "user-agent": "GitHub-Hookshot/bench",
            "x-github-event": settings.event,
            "x-github-delivery": settings.sameDeliveryId ? fixedId : randomUUID(),
            "x-hub-signature-256": settings.signature,
          },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });

  const run = async (seconds: number) => {
    const statuses: Record<string, number> = {};
    let requests = 0;
    const started = performance.now();
    const until = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: settings.concurrency }, async () => {
        while (performance.now() < until) {
          const status = await post();
          requests++;
          statuses[status] = (statuses[status] ?? 0) + 1;
        }
      }),
    );
    return { requests, statuses, seconds: (performance.now() - started) / 1000 };
  };
  const warmup = await run(settings.warmupSeconds);
  const measured = await run(settings.seconds);
  const result: ClientResult = {
    requests: measured.requests,
    warmupRequests: warmup.requests,
    seconds: measured.seconds,
    perSecond: measured.requests / measured.seconds,
    statuses: measured.statuses,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  agent.destroy();
}

// Run as a process only; bench/ingest.ts imports nothing but its types.
await main();
