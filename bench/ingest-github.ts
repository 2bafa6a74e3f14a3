/**
 * The GitHub side of the ingest bench, in a process of its own so that answering the app's
 * GitHub requests does not count against the app's event loop. It starts the emulator with one
 * repository and issue, captures the real deliveries the bench replays (`issues.labeled` with a
 * label that triggers nothing, and `issues.opened`, which the app subscribes to and has no
 * handler for), prints them with GitHub's URL as one JSON line, and runs until SIGTERM.
 *
 * The emulator reads git for every contents request, so by default GitHub's URL is a proxy that
 * answers a repeated GET from memory with the emulator's first answer: the figure is then the
 * app's, not the emulator's. BENCH_GITHUB=emulator hands out the emulator itself.
 *
 * Started by bench/ingest.ts with BENCH_WEBHOOK_SECRET, BENCH_APP_ID and BENCH_APP_PUBLIC_KEY.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator } from "../src/sim/emulator/index.js";

const INGEST_REPO = "bench/ingest";

export interface CapturedDelivery {
  event: string;
  body: string;
}

export interface IngestGitHub {
  url: string;
  labeled: CapturedDelivery;
  opened: CapturedDelivery;
}

async function main(): Promise<void> {
  const secret = required("BENCH_WEBHOOK_SECRET");
  const root = await mkdtemp(join(tmpdir(), "fleet-bench-github-"));
  const captured: CapturedDelivery[] = [];
  const capture = createServer((req, res) => {
    void readAll(req).then((body) => {
      captured.push({ event: String(req.headers["x-github-event"]), body });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => capture.listen(0, "127.0.0.1", resolve));
  const emulator = await startEmulator({
    gitRoot: join(root, "remotes"),
    webhookSecret: secret,
    appId: Number(required("BENCH_APP_ID")),
    appPublicKey: required("BENCH_APP_PUBLIC_KEY"),
    webhookUrl: `http://127.0.0.1:${(capture.address() as AddressInfo).port}/`,
  });
  const stop = async () => {
    await emulator.close();
    capture.close();
    await rm(root, { recursive: true, force: true });
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop());
  process.once("SIGINT", () => void stop());

  await emulator.createRepo({
    slug: INGEST_REPO,
    files: { "README.md": "# ingest\n" },
    // A file of its own, so the app's config read is one request (no fallback to the org's).
    fleetConfig: "trigger: { label: agent-ready }\n",
    collaborators: { alice: "write" },
  });
  await emulator.createIssue({ repo: INGEST_REPO, number: 1, title: "Ingest", by: "alice" });
  await emulator.addLabel({ repo: INGEST_REPO, issue: 1, name: "bench-noise", by: "alice" });
  await emulator.settled();
  const find = (event: string, action: string) => {
    const found = captured.find(
      (d) => d.event === event && (JSON.parse(d.body) as { action?: string }).action === action,
    );
    if (!found) throw new Error(`no ${event}.${action} delivery was captured`);
    return found;
  };
  const proxy = process.env.BENCH_GITHUB === "emulator" ? null : await cachingProxy(emulator.url);
  const ready: IngestGitHub = {
    url: proxy ?? emulator.url,
    labeled: find("issues", "labeled"),
    opened: find("issues", "opened"),
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

/** Forwards to the emulator; GET answers are kept per URL and Accept header and replayed. */
async function cachingProxy(upstream: string): Promise<string> {
  const kept = new Map<string, { status: number; headers: Headers; body: Buffer }>();
  const server = createServer((req, res) => {
    void (async () => {
      const key = `${req.url}\n${req.headers.accept ?? ""}`;
      let answer = req.method === "GET" ? kept.get(key) : undefined;
      if (!answer) {
        const headers = new Headers();
        for (const [name, value] of Object.entries(req.headers)) {
          if (typeof value === "string" && name !== "host" && name !== "connection") {
            headers.set(name, value);
          }
        }
        const body = await readAll(req);
        const response = await fetch(`${upstream}${req.url}`, {
          method: req.method ?? "GET",
          headers,
          ...(body && req.method !== "GET" && req.method !== "HEAD" ? { body } : {}),
        });
        answer = {
          status: response.status,
          headers: response.headers,
          body: Buffer.from(await response.arrayBuffer()),
        };
        if (req.method === "GET" && response.ok) kept.set(key, answer);
      }
      const out: Record<string, string> = {};
      answer.headers.forEach((value, name) => {
        if (!["content-encoding", "transfer-encoding", "connection"].includes(name)) {
          out[name] = value;
        }
      });
      out["content-length"] = String(answer.body.length);
      res.writeHead(answer.status, out).end(answer.body);
    })().catch((error: unknown) => {
      console.error("proxy:", error);
      if (!res.headersSent) res.writeHead(502).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

// Run as a process only; bench/ingest.ts imports nothing but its types.
await main();
