/**
 * Queue latency: from a signed `issues.labeled` webhook leaving GitHub to the agent process
 * running, over sequential labels. The GitHub emulator and the real webhook server run in this
 * process, a real `fleet runner` in its own process, and the agent is `bash` writing its first
 * timestamp. Every label is on a fresh issue (one task each); the next label is sent only once
 * the previous task has ended and the emulator is quiet, so each figure is an idle fleet's.
 *
 *   npx tsx bench/latency.ts [--labels 1000] [--capacity 4]
 *
 * Clocks: the send time is read in this process just before the emulator's POST (wall clock,
 * performance.timeOrigin + performance.now()); the agent reads bash's $EPOCHREALTIME; the stage
 * times are PostgreSQL's now(). All three are the same host's realtime clock.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { destination, pino } from "pino";
import { textTable } from "../src/cli/text-table.js";
import { createClock } from "../src/config/clock.js";
import { createDb } from "../src/db/client.js";
import { migrate } from "../src/db/migrate.js";
import { ACTIVE_STATES } from "../src/db/task-states.js";
import { startAppServer } from "../src/sim/app-server.js";
import { startEmulatedApp } from "../src/sim/emulated-app.js";
import { RunnerProcesses } from "../src/sim/runner-process.js";
import { printMachine } from "./machine.js";
import { benchPostgres } from "./postgres.js";
import { ms, type Spread, spread } from "./stats.js";

const { values: args } = parseArgs({
  options: {
    labels: { type: "string", default: "1000" },
    capacity: { type: "string", default: "4" },
  },
});
const LABELS = Number(args.labels);
const REPO = "bench/latency";
const APP_ID = 1;
const POLL_MS = 5;

const wallNow = () => performance.timeOrigin + performance.now();

interface Sample {
  issue: number;
  sentAt: number;
  enqueuedAt: number;
  claimedAt: number;
  spawnedAt: number;
  agentStartedAt: number;
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "fleet-bench-latency-"));
  const postgres = await benchPostgres();
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    const url = await postgres.createDatabase("bench_latency");
    await printMachine(url);
    const { db, close } = createDb(url);
    cleanups.push(close);
    await migrate(db);

    const log = pino({ level: "info" }, destination({ dest: join(root, "app.log"), sync: false }));
    const { emulator, privateKey, webhookSecret } = await startEmulatedApp({
      appId: APP_ID,
      gitRoot: join(root, "remotes"),
      log,
    });
    cleanups.push(() => emulator.close());
    const server = await startAppServer({
      db,
      clock: createClock(1),
      log: log.child({ name: "server" }),
      appId: APP_ID,
      privateKey,
      webhookSecret,
      emulator,
    });
    cleanups.push(() => server.close());

    await emulator.createRepo({
      slug: REPO,
      files: { "README.md": "# latency\n" },
      collaborators: { alice: "write" },
    });
    for (let issue = 1; issue <= LABELS; issue++) {
      await emulator.createIssue({
        repo: REPO,
        number: issue,
        title: `Issue ${issue}`,
        by: "alice",
      });
    }

    const startsDir = join(root, "starts");
    await mkdir(startsDir);
    const runners = new RunnerProcesses({
      db,
      root,
      log,
      env: {
        DATABASE_URL: url,
        APP_ID: String(APP_ID),
        PRIVATE_KEY: privateKey,
        WEBHOOK_SECRET: webhookSecret,
        GITHUB_API_URL: emulator.url,
        FLEET_GITHUB_THROTTLE: "false",
        // The agent's first act is to write the time; bash reads it without forking.
        FLEET_AGENT_COMMAND: JSON.stringify([
          "bash",
          "-c",
          'echo "$EPOCHREALTIME" > "$0"',
          join(startsDir, "{issueNumber}"),
        ]),
        FLEET_RUNNER_CONCURRENCY: args.capacity,
        LOG_LEVEL: "info",
      },
    });
    cleanups.push(() => runners.stopAll());
    await runners.start("a");

    const sentAt = captureLabelDeliveries();
    await emulator.settled();
    console.log(
      `${LABELS} sequential labels, one fresh issue each; runner capacity ${args.capacity}`,
    );
    const samples: Sample[] = [];
    const progressEvery = Math.max(1, Math.round(LABELS / 10));
    for (let issue = 1; issue <= LABELS; issue++) {
      const delivery = await emulator.addLabel({
        repo: REPO,
        issue,
        name: "agent-ready",
        by: "alice",
      });
      if (delivery.status !== 200) {
        throw new Error(`the app answered ${delivery.status} to the label on #${issue}`);
      }
      const agentStartedAt = await agentStart(join(startsDir, String(issue)));
      await taskEnded(db, issue);
      await emulator.settled();
      const stages = await stageTimes(db, issue);
      const sent = sentAt.get(issue);
      if (sent === undefined) throw new Error(`no labeled delivery was seen for #${issue}`);
      samples.push({ issue, sentAt: sent, agentStartedAt, ...stages });
      if (issue % progressEvery === 0) process.stderr.write(`  ${issue}/${LABELS}\n`);
    }
    report(samples);
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => console.error("cleanup failed:", error));
    }
    await postgres.close();
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * Wraps fetch to note when each `issues.labeled` delivery leaves the emulator: after it built,
 * validated and signed the payload, just before the request is made.
 */
function captureLabelDeliveries(): Map<number, number> {
  const sentAt = new Map<number, number>();
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const at = wallNow();
    const response = realFetch(input, init);
    const headers = init?.headers as Record<string, string> | undefined;
    if (headers?.["x-github-event"] === "issues" && typeof init?.body === "string") {
      const payload = JSON.parse(init.body) as { action?: string; issue?: { number?: number } };
      if (payload.action === "labeled" && payload.issue?.number !== undefined) {
        sentAt.set(payload.issue.number, at);
      }
    }
    return response;
  };
  return sentAt;
}

/** The agent's own first timestamp, once its file holds one. */
async function agentStart(file: string): Promise<number> {
  const giveUpAt = Date.now() + 120_000;
  for (;;) {
    if (existsSync(file)) {
      const text = readFileSync(file, "utf8").trim();
      if (/^\d+\.\d{6}$/.test(text)) return Number(text) * 1000;
    }
    if (Date.now() > giveUpAt) throw new Error(`no agent started for ${file} within 120 s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function taskEnded(db: ReturnType<typeof createDb>["db"], issue: number): Promise<void> {
  const giveUpAt = Date.now() + 120_000;
  for (;;) {
    const { rows } = await db.execute<{ state: string }>(
      sql`select state from tasks where repo_full_name = ${REPO} and issue_number = ${issue}
          order by id desc limit 1`,
    );
    const state = rows[0]?.state;
    if (state && !(ACTIVE_STATES as readonly string[]).includes(state)) return;
    if (Date.now() > giveUpAt) throw new Error(`the task of #${issue} is still ${state}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * When the task was queued, claimed and its agent's wrapper spawned (the runner records
 * agent_started right after the spawn), from the database's clock with its microseconds.
 */
async function stageTimes(db: ReturnType<typeof createDb>["db"], issue: number) {
  const { rows } = await db.execute<{ enqueued: number; claimed: number; spawned: number }>(sql`
    select extract(epoch from t.created_at) * 1000 as enqueued,
           extract(epoch from a.started_at) * 1000 as claimed,
           (select extract(epoch from e.at) * 1000 from events e
            where e.attempt_id = a.id and e.kind = 'agent_started') as spawned
    from tasks t join attempts a on a.task_id = t.id and a.number = 1
    where t.repo_full_name = ${REPO} and t.issue_number = ${issue}
    order by t.id desc limit 1`);
  const row = rows[0];
  if (!row) throw new Error(`no attempt for #${issue}`);
  return {
    enqueuedAt: Number(row.enqueued),
    claimedAt: Number(row.claimed),
    spawnedAt: Number(row.spawned),
  };
}

function report(samples: readonly Sample[]): void {
  const stages: Array<[string, (s: Sample) => number]> = [
    ["label to agent running", (s) => s.agentStartedAt - s.sentAt],
    ["  webhook to task queued", (s) => s.enqueuedAt - s.sentAt],
    ["  queued to claimed", (s) => s.claimedAt - s.enqueuedAt],
    ["  claimed to wrapper spawned", (s) => s.spawnedAt - s.claimedAt],
    ["  wrapper spawned to agent running", (s) => s.agentStartedAt - s.spawnedAt],
  ];
  const rows = stages.map(([name, of]) => {
    const d: Spread = spread(samples.map(of));
    return [name, String(d.count), ms(d.p50), ms(d.p90), ms(d.p99), ms(d.max)];
  });
  console.log();
  console.log(textTable(["ms", "n", "p50", "p90", "p99", "max"], rows));
  const total = spread(samples.map(stages[0]?.[1] ?? (() => 0)));
  console.log(
    `\ntarget: p50 < 25 ms (${total.p50 < 25 ? "met" : "not met"}), p99 < 100 ms (${total.p99 < 100 ? "met" : "not met"})`,
  );
}

await main();
