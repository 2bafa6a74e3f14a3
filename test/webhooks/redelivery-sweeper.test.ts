import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { and, eq } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClock, systemClock } from "../../src/config/clock.js";
import { createDb } from "../../src/db/client.js";
import { tasks } from "../../src/db/schema.js";
import {
  probotRedeliveryGitHub,
  type RedeliveryGitHub,
} from "../../src/github/redelivery-github.js";
import { webhookRedeliveries } from "../../src/metrics/registry.js";
import { type RunningServer, startWebhookServer } from "../../src/server.js";
import { appKeyPair } from "../../src/sim/app-keys.js";
import { type Emulator, startEmulator } from "../../src/sim/emulator/index.js";
import { MAX_ATTEMPTS } from "../../src/webhooks/missed-deliveries.js";
import { RedeliverySweeper, type SweepResult } from "../../src/webhooks/redelivery-sweeper.js";
import { startReceiver } from "../sim/emulator-harness.js";
import { useTestDatabase } from "../support/db.js";

/**
 * The missed-delivery sweep of the real webhook server, against the emulator dropping webhooks
 * and a real database: a dropped label is found, redelivered, and becomes the task it should
 * have been; two processes sweeping at once redeliver it once.
 */

const APP_ID = 77;
const SECRET = randomBytes(16).toString("hex");
const silent = pino({ level: "silent" });
const database = useTestDatabase();
const keys = appKeyPair();

let root: string;
let emulator: Emulator;
let server: RunningServer;
let github: RedeliveryGitHub;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "redelivery-"));
  emulator = await startEmulator({
    gitRoot: join(root, "remotes"),
    webhookSecret: SECRET,
    appId: APP_ID,
    appPublicKey: keys.publicKey,
    log: silent,
  });
  server = await startWebhookServer({
    db: database.db,
    log: silent,
    appId: APP_ID,
    privateKey: keys.privateKey,
    webhookSecret: SECRET,
    webhookPath: "/api/github/webhooks",
    githubApiUrl: emulator.url,
    githubThrottle: false,
    port: 0,
    host: "127.0.0.1",
  });
  emulator.setWebhookUrl(server.webhookUrl);
  github = probotRedeliveryGitHub(server.probot);
  await emulator.createRepo({
    slug: "acme/api",
    files: { "README.md": "# api\n" },
    collaborators: { alice: "write" },
  });
  for (const number of [1, 2, 3]) {
    await emulator.createIssue({ repo: "acme/api", number, title: `Issue ${number}`, by: "alice" });
  }
});

afterAll(async () => {
  await server?.close();
  await emulator?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

/** Labels the issue with the delivery dropped on the way; resolves with its guid. */
async function droppedLabel(issue: number): Promise<string> {
  emulator.setFaults({ seed: issue, webhooks: { drop: 1 } });
  const delivery = await emulator.addLabel({
    repo: "acme/api",
    issue,
    name: "agent-ready",
    by: "alice",
  });
  emulator.setFaults(null);
  expect(delivery).toMatchObject({ error: "timed out", fault: { kind: "drop" } });
  return delivery.id;
}

async function taskStates(issue: number): Promise<string[]> {
  const rows = await database.db
    .select({ state: tasks.state })
    .from(tasks)
    .where(and(eq(tasks.repoFullName, "acme/api"), eq(tasks.issueNumber, issue)));
  return rows.map((r) => r.state);
}

const attemptsOf = (guid: string) => emulator.deliveries().filter((d) => d.id === guid);

async function redeliveries(result: string): Promise<number> {
  const metric = await webhookRedeliveries.get();
  return metric.values.find((v) => v.labels.result === result)?.value ?? 0;
}

describe("the missed-delivery sweep", () => {
  it("redelivers a dropped issues.labeled on its own timer, and the app then creates the task", async () => {
    const guid = await droppedLabel(1);
    await emulator.settled();
    expect(await taskStates(1)).toEqual([]);
    const requested = await redeliveries("requested");

    let sawIt: (result: SweepResult) => void = () => {};
    const redelivered = new Promise<SweepResult>((resolve) => {
      sawIt = resolve;
    });
    const sweeper = new RedeliverySweeper({
      db: database.db,
      // 15 configured minutes pass in 50 real ms.
      clock: createClock(18_000),
      log: silent,
      github,
      intervalMs: 15 * 60_000,
      onSweep: (result) => {
        if (result.redelivered.includes(guid)) sawIt(result);
      },
    });
    sweeper.start();
    try {
      expect((await redelivered).swept).toBe(true);
    } finally {
      await sweeper.stop();
    }
    await emulator.settled();
    expect(await taskStates(1)).toEqual(["queued"]);
    expect(attemptsOf(guid).map((d) => [d.redelivery, d.status])).toEqual([
      [false, 0],
      [true, 200],
    ]);
    expect(await redeliveries("requested")).toBe(requested + 1);

    // Delivered now: the next sweep leaves it alone.
    const idle = new RedeliverySweeper({
      db: database.db,
      clock: systemClock,
      log: silent,
      github,
      intervalMs: 0,
    });
    const again = await idle.sweep();
    expect(again.listed).toBeGreaterThan(0);
    expect(again.redelivered).not.toContain(guid);
  });

  it("redelivers once when two processes sweep at once", async () => {
    const guid = await droppedLabel(2);
    await emulator.settled();
    // A second process: its own pool, so its own database sessions.
    const other = createDb(database.url);
    try {
      let listing: () => void = () => {};
      const firstIsListing = new Promise<void>((resolve) => {
        listing = resolve;
      });
      let release: () => void = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      // The first sweeper holds the lock and waits, mid-sweep, until the second one has tried.
      const held: RedeliveryGitHub = {
        async *attempts() {
          listing();
          await released;
          yield* github.attempts();
        },
        redeliver: (id) => github.redeliver(id),
      };
      const first = new RedeliverySweeper({
        db: database.db,
        clock: systemClock,
        log: silent,
        github: held,
        intervalMs: 0,
      });
      const second = new RedeliverySweeper({
        db: other.db,
        clock: systemClock,
        log: silent,
        github,
        intervalMs: 0,
      });
      const firstSweep = first.sweep();
      await firstIsListing;
      const secondSweep = await second.sweep();
      release();
      const firstResult = await firstSweep;

      expect(secondSweep).toMatchObject({ swept: false, redelivered: [] });
      expect(firstResult).toMatchObject({ swept: true });
      expect(firstResult.redelivered).toEqual([guid]);
      await emulator.settled();
      expect(attemptsOf(guid).filter((d) => d.redelivery)).toHaveLength(1);
      expect(await taskStates(2)).toEqual(["queued"]);
    } finally {
      await other.close();
    }
  });

  it(`stops asking after ${MAX_ATTEMPTS} failed attempts of one event, and says so`, async () => {
    // An app that fails every delivery, for a reason redelivering will not cure.
    const failing = await startReceiver(SECRET);
    failing.answerWith(500);
    emulator.setWebhookUrl(failing.url);
    try {
      const first = await emulator.comment({ repo: "acme/api", issue: 3, by: "alice", body: "hi" });
      expect(first.status).toBe(500);
      const sweeper = new RedeliverySweeper({
        db: database.db,
        clock: systemClock,
        log: silent,
        github,
        intervalMs: 0,
      });
      const givenUp = await redeliveries("given_up");
      for (let attempt = 2; attempt <= MAX_ATTEMPTS; attempt++) {
        const result = await sweeper.sweep();
        expect(result.redelivered).toContain(first.id);
        await emulator.settled();
      }
      expect(attemptsOf(first.id).map((d) => d.status)).toEqual(Array(MAX_ATTEMPTS).fill(500));
      const last = await sweeper.sweep();
      expect(last.redelivered).not.toContain(first.id);
      expect(last.givenUp).toContain(first.id);
      expect(await redeliveries("given_up")).toBe(givenUp + 1);
      // Reported once, not at every sweep.
      await sweeper.sweep();
      expect(await redeliveries("given_up")).toBe(givenUp + 1);
    } finally {
      emulator.setWebhookUrl(server.webhookUrl);
      await failing.close();
    }
  });
});
