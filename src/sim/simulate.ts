import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import { Probot } from "probot";
import { createClock } from "../config/clock.js";
import { createDb } from "../db/client.js";
import { startEmbeddedPostgres } from "../db/embedded.js";
import { migrate } from "../db/migrate.js";
import { fleetOctokitClass } from "../github/octokit-class.js";
import { probotDeliveryFactory } from "../github/octokit-github.js";
import { Runner } from "../runner/runner.js";
import { startWebhookServer } from "../server.js";
import { diffFiles, listBranches } from "./emulator/git.js";
import { type Emulator, startEmulator } from "./emulator/index.js";
import { readJournal } from "./journal.js";
import { buildReport, type SimulationReport } from "./report.js";
import type { Scenario } from "./scenario.js";
import { collectAppFacts, waitUntilSettled } from "./settle.js";
import { buildTimeline, type TimelineAction } from "./timeline.js";

const APP_ID = 1;
const SCRIPTED_AGENT = fileURLToPath(new URL("./scripted-agent.mjs", import.meta.url));

export interface SimulateOptions {
  log: Logger;
  speed?: number;
  /** An existing server instead of a fresh embedded one (tests pass their own database). */
  databaseUrl?: string;
  keepFiles?: boolean;
}

/** Runs a scenario end to end: emulated GitHub, the real app, a real runner and real agents. */
export async function simulate(
  scenario: Scenario,
  options: SimulateOptions,
): Promise<SimulationReport> {
  const speed = options.speed ?? scenario.speed ?? 1;
  const clock = createClock(speed);
  const log = options.log;
  const root = await mkdtemp(join(tmpdir(), "fleet-sim-"));
  const cleanups: Array<() => Promise<unknown>> = [];
  const started = performance.now();
  try {
    let databaseUrl = options.databaseUrl;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres({ dataDir: join(root, "pg"), log });
      cleanups.push(() => pg.stop());
      databaseUrl = pg.url;
    }
    const { db, close } = createDb(databaseUrl, { log });
    cleanups.push(close);
    await migrate(db);

    const { privateKey, publicKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    const webhookSecret = randomBytes(20).toString("hex");
    const emulator = await startEmulator({
      gitRoot: join(root, "remotes"),
      webhookSecret,
      appId: APP_ID,
      appPublicKey: publicKey,
      log: log.child({ name: "emulator" }),
    });
    cleanups.push(() => emulator.close());

    const server = await startWebhookServer({
      db,
      log: log.child({ name: "server" }),
      appId: APP_ID,
      privateKey,
      webhookSecret,
      webhookPath: "/api/github/webhooks",
      githubApiUrl: emulator.url,
      githubThrottle: false,
      port: 0,
      host: "127.0.0.1",
    });
    cleanups.push(() => server.close());
    emulator.setWebhookUrl(server.webhookUrl);

    const planFile = join(root, "plan.json");
    const journalFile = join(root, "journal.jsonl");
    await writePlan(planFile, journalFile, scenario, clock.scale);

    const runnerDir = join(root, "runner");
    await mkdir(runnerDir, { recursive: true });
    const runner = new Runner({
      db,
      databaseUrl,
      dataDir: runnerDir,
      clock,
      log: log.child({ name: "runner" }),
      github: probotDeliveryFactory(
        new Probot({
          appId: APP_ID,
          privateKey,
          baseUrl: emulator.url,
          log: log.child({ name: "probot" }),
          Octokit: fleetOctokitClass({ throttle: false }),
        }),
      ),
      id: "a",
      capacity: 4,
      defaultAgentCommand: [
        process.execPath,
        SCRIPTED_AGENT,
        "--plan",
        planFile,
        "--repo",
        "{repoFullName}",
        "--issue",
        "{issueNumber}",
      ],
    });
    await runner.start();
    cleanups.push(() => runner.stop());

    for (const repo of scenario.repos) {
      await emulator.createRepo({
        slug: repo.slug,
        files: repo.files,
        collaborators: repo.collaborators,
        ...(repo.fleetConfig === undefined ? {} : { fleetConfig: repo.fleetConfig }),
      });
    }
    for (const issue of scenario.issues) {
      await emulator.createIssue({
        repo: issue.repo,
        number: issue.number,
        title: issue.title,
        body: issue.body,
        by: firstActor(issue) ?? "octocat",
      });
    }
    emulator.resetStats();

    await playTimeline(emulator, buildTimeline(scenario), clock);
    await waitUntilSettled({ db, runner });

    const app = await collectAppFacts(db);
    const pulls = new Map<
      string,
      { number: number; head: string; body: string; files: string[] }[]
    >();
    for (const repo of scenario.repos) {
      const gitDir = emulator.state.repo(repo.slug)?.gitDir;
      const withFiles = [];
      for (const pull of emulator.pulls(repo.slug)) {
        const files = gitDir ? await diffFiles(gitDir, pull.base, pull.head) : [];
        withFiles.push({ ...pull, files: files.map((f) => f.filename).sort() });
      }
      pulls.set(repo.slug, withFiles);
    }
    const comments = new Map(
      scenario.issues.map((i) => [
        `${i.repo}#${i.number}`,
        emulator.comments(i.repo, i.number).map((c) => c.body),
      ]),
    );
    const branches = new Map<string, string[]>();
    for (const repo of scenario.repos) {
      const gitDir = emulator.state.repo(repo.slug)?.gitDir;
      branches.set(repo.slug, gitDir ? [...(await listBranches(gitDir)).keys()] : []);
    }
    return buildReport({
      scenario,
      speed,
      wallTimeMs: performance.now() - started,
      journal: await readJournal(journalFile),
      tasks: app.tasks,
      refused: app.refused,
      pulls,
      branches,
      comments,
      apiCalls: emulator.stats(),
      webhookStatuses: emulator.deliveries().map((d) => d.status ?? 0),
    });
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) =>
        log.warn({ err: error }, "simulation cleanup failed"),
      );
    }
    if (!options.keepFiles) await rm(root, { recursive: true, force: true });
  }
}

function firstActor(issue: Scenario["issues"][number]): string | undefined {
  return issue.labels[0]?.by;
}

async function writePlan(
  planFile: string,
  journalFile: string,
  scenario: Scenario,
  scale: (ms: number) => number,
): Promise<void> {
  const issues: Record<string, unknown[]> = {};
  for (const issue of scenario.issues) {
    const steps =
      issue.agent === undefined ? [] : Array.isArray(issue.agent) ? issue.agent : [issue.agent];
    issues[`${issue.repo}#${issue.number}`] = steps.map((step) => ({
      behavior: step.behavior,
      durationMs: Math.round(scale(step.duration)),
      edit: step.edit,
    }));
  }
  await writeFile(planFile, JSON.stringify({ journal: journalFile, issues }, null, 2));
}

async function playTimeline(
  emulator: Emulator,
  actions: readonly TimelineAction[],
  clock: ReturnType<typeof createClock>,
): Promise<void> {
  // Times are measured from the start, so slow deliveries do not push later events back.
  const start = clock.now();
  for (const action of actions) {
    const due = start + clock.scale(action.at);
    const wait = due - clock.now();
    if (wait > 0) await delay(wait);
    switch (action.kind) {
      case "label":
        await emulator.addLabel({
          repo: action.repo,
          issue: action.issue,
          name: action.name,
          by: action.by,
        });
        break;
      case "unlabel":
        await emulator.removeLabel({
          repo: action.repo,
          issue: action.issue,
          name: action.name,
          by: action.by,
        });
        break;
      case "close":
        await emulator.closeIssue({ repo: action.repo, issue: action.issue, by: action.by });
        break;
      case "redeliver": {
        const original = emulator
          .deliveries()
          .find(
            (d) =>
              d.event === "issues" &&
              d.action === "labeled" &&
              (d.payload as { issue?: { number?: number } }).issue?.number === action.issue &&
              (d.payload as { repository?: { full_name?: string } }).repository?.full_name ===
                action.repo &&
              (d.payload as { label?: { name?: string } }).label?.name === action.label,
          );
        if (!original)
          throw new Error(
            `nothing to redeliver for ${action.repo}#${action.issue} ${action.label}`,
          );
        await emulator.redeliver(original.id);
        break;
      }
    }
  }
}
