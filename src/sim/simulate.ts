import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import { type Clock, createClock } from "../config/clock.js";
import { DASHBOARD_DEBOUNCE_MS } from "../dashboard-issue/updater.js";
import { createDb } from "../db/client.js";
import { migrate } from "../db/migrate.js";
import { type AppServer, startAppServer } from "./app-server.js";
import { unrevertedBadCommits } from "./bad-commits.js";
import type { SpawnedProcesses } from "./chaos/leftovers.js";
import { canMissWebhooks, settledWithRedeliveries } from "./chaos/missed-deliveries.js";
import { type RestartablePostgres, startRestartablePostgres } from "./chaos/postgres.js";
import { startAppServerProcess } from "./chaos/server-process.js";
import { startEmulatedApp } from "./emulated-app.js";
import { diffFiles, listBranches } from "./emulator/git.js";
import type { Emulator, PullSummary } from "./emulator/index.js";
import { faultPlan, simGitHubTimeoutMs } from "./fault-plan.js";
import type { IdlePeriod } from "./idle.js";
import { measureQuiet, redeliverySweepCalls } from "./idle.js";
import { readJournal, readJournalSync } from "./journal.js";
import { isAgentAlive, killLeftoverAgents } from "./orphans.js";
import { writePlan } from "./plan.js";
import { playTimeline } from "./play.js";
import { buildReport, type SimulationReport } from "./report.js";
import { RunnerProcesses } from "./runner-process.js";
import type { Scenario } from "./scenario.js";
import { collectAppFacts, waitForWorktreeCleanup, waitUntilSettled } from "./settle.js";
import { buildTimeline, FIRST_RUNNER, type TimelineAction } from "./timeline.js";
import { Witness } from "./witness.js";
import { leakedWorktrees } from "./worktrees.js";

const APP_ID = 1;
const SCRIPTED_AGENT = fileURLToPath(new URL("./scripted-agent.mjs", import.meta.url));

export interface SimulateOptions {
  log: Logger;
  speed?: number;
  /** An existing server instead of a fresh embedded one (tests pass their own database). */
  databaseUrl?: string;
  keepFiles?: boolean;
  /** Real ms to wait for the fleet to settle after the timeline; scales with the scenario. */
  settleTimeoutMs?: number;
  /** Runs the webhook server as its own `fleet server` process, as a `kill-server` event needs. */
  serverProcess?: boolean;
  /** Settings added to the environment of the runner (and server) processes. */
  env?: Record<string, string>;
  /** Told every process the simulation started, before its last-resort cleanup kills leftovers. */
  onProcesses?: (spawned: SpawnedProcesses) => void;
  /**
   * On SIGINT or SIGTERM, stop every runner, agent, server and database the simulation started,
   * remove its files, then end the process by that signal (for the command line).
   */
  stopOnSignals?: boolean;
}

/**
 * Runs a scenario end to end: emulated GitHub, the real app, runners as their own processes and
 * real agents. Every runner and agent process is gone when this returns or throws.
 */
export async function simulate(
  scenario: Scenario,
  options: SimulateOptions,
): Promise<SimulationReport> {
  const speed = options.speed ?? scenario.speed ?? 1;
  const clock = createClock(speed);
  const log = options.log;
  const root = await mkdtemp(join(tmpdir(), "fleet-sim-"));
  const journalFile = join(root, "journal.jsonl");
  const cleanups: Array<() => Promise<unknown>> = [];
  let cleaning: Promise<void> | undefined;
  const cleanUp = () => {
    cleaning ??= (async () => {
      for (const cleanup of cleanups.reverse()) {
        await cleanup().catch((error: unknown) =>
          log.warn({ err: error }, "simulation cleanup failed"),
        );
      }
      if (options.keepFiles) log.info({ root }, "simulation files kept");
      else await rm(root, { recursive: true, force: true });
    })();
    return cleaning;
  };
  const interrupted = (signal: NodeJS.Signals) => {
    process.off("SIGINT", interrupted).off("SIGTERM", interrupted);
    log.warn({ signal }, "simulation interrupted; stopping what it started");
    void cleanUp().finally(() => process.kill(process.pid, signal));
  };
  if (options.stopOnSignals) process.on("SIGINT", interrupted).on("SIGTERM", interrupted);
  const started = performance.now();
  try {
    let databaseUrl = options.databaseUrl;
    let postgres: RestartablePostgres | undefined;
    if (!databaseUrl) {
      const pg = await startRestartablePostgres({ dataDir: join(root, "pg"), log });
      cleanups.push(() => pg.close());
      databaseUrl = pg.url;
      postgres = pg;
    }
    const { db, close } = createDb(databaseUrl, { log });
    cleanups.push(close);
    await migrate(db);

    const { emulator, privateKey, webhookSecret } = await startEmulatedApp({
      appId: APP_ID,
      gitRoot: join(root, "remotes"),
      log,
    });
    cleanups.push(() => emulator.close());
    const githubTimeoutMs = simGitHubTimeoutMs(scenario);
    const appEnv: Record<string, string> = {
      DATABASE_URL: databaseUrl,
      APP_ID: String(APP_ID),
      PRIVATE_KEY: privateKey,
      WEBHOOK_SECRET: webhookSecret,
      GITHUB_API_URL: emulator.url,
      FLEET_GITHUB_THROTTLE: "false",
      ...(githubTimeoutMs ? { FLEET_GITHUB_TIMEOUT: `${githubTimeoutMs}ms` } : {}),
      FLEET_CLOCK_SPEED: String(speed),
      LOG_LEVEL: "info",
      ...options.env,
    };
    let serverProcess: { pids: readonly number[]; crashes: readonly string[] } | undefined;
    let server: AppServer;
    if (options.serverProcess) {
      const child = await startAppServerProcess({ root, env: appEnv, emulator, log });
      serverProcess = child;
      server = child;
    } else {
      server = await startAppServer({
        db,
        clock,
        log: log.child({ name: "server" }),
        appId: APP_ID,
        privateKey,
        webhookSecret,
        emulator,
        githubTimeoutMs,
      });
    }
    cleanups.push(() => server.close());

    const witness = await Witness.listen(join(root, "witness.sock"));
    cleanups.push(() => witness.close());
    const planFile = join(root, "plan.json");
    await writePlan({ planFile, journalFile, witnessPath: witness.path, scenario, clock });
    // Runs after the runners stopped: whatever agent is still alive when the simulation ends,
    // it is killed.
    let lastResort: (() => void) | undefined;
    cleanups.push(async () => {
      const journal = await readJournal(journalFile);
      options.onProcesses?.({
        runners: runners.pids,
        servers: serverProcess?.pids ?? [],
        crashes: [...runners.crashes, ...(serverProcess?.crashes ?? [])],
        journal,
      });
      killLeftoverAgents(journal);
      if (lastResort) process.off("exit", lastResort);
    });

    await createRepos(emulator, scenario, clock);
    const runners = new RunnerProcesses({
      db,
      root,
      log,
      env: {
        ...appEnv,
        FLEET_AGENT_COMMAND: JSON.stringify([
          process.execPath,
          SCRIPTED_AGENT,
          "--plan",
          planFile,
          "--repo",
          "{repoFullName}",
          "--issue",
          "{issueNumber}",
        ]),
        FLEET_LEASE_TTL: `${scenario.runner.leaseTtl}ms`,
        FLEET_RUNNER_CONCURRENCY: String(scenario.runner.concurrency),
      },
    });
    cleanups.push(() => runners.stopAll());
    // Should this process end without reaching the cleanups (a test runner tearing it down after
    // a timeout), no runner or agent may outlive it.
    lastResort = () => {
      runners.killAllNow();
      killLeftoverAgents(readJournalSync(journalFile));
    };
    process.once("exit", lastResort);
    await runners.start(FIRST_RUNNER);
    emulator.resetStats();
    // GitHub fails from the first scripted action on, not while the stage is set.
    emulator.setFaults(faultPlan(scenario, clock));

    const timeline = buildTimeline(scenario);
    warnOfShortLease(scenario, timeline, clock, log);
    const settleTimeoutMs =
      options.settleTimeoutMs ?? 60_000 + clock.scale((timeline.at(-1)?.at ?? 0) + 3_600_000);
    // Webhooks that failed on the way (dropped, or sent while the server was down) count as
    // still in flight until the app's missed-delivery sweep has redelivered them.
    const missable = canMissWebhooks(scenario);
    const over = new AbortController();
    cleanups.push(async () => over.abort());
    const settle = () =>
      waitUntilSettled({
        db,
        journalFile,
        deaths: witness.deaths,
        timeoutMs: settleTimeoutMs,
        stillMs: clock.scale(DASHBOARD_DEBOUNCE_MS) + 250,
        github: {
          settled: () =>
            missable
              ? settledWithRedeliveries(emulator, {
                  deadline: Date.now() + settleTimeoutMs,
                  signal: over.signal,
                })
              : emulator.settled(),
          activity: () => emulator.deliveries().length + emulator.stats().total,
        },
      });
    const start = Date.now();
    const idle: IdlePeriod[] = [];
    const cancelledAt = new Map<string, number>();
    await playTimeline(timeline, {
      emulator,
      runners,
      server,
      postgres,
      clock,
      start,
      cancelledAt,
      // A quiet period measures an idle fleet, so it begins once the work before it is done.
      quiet: async (durationMs) => {
        if (!(await settle())) log.warn("the fleet was still busy when a quiet period began");
        await waitForWorktreeCleanup(runners.liveDataDirs, 10_000);
        idle.push(
          await measureQuiet({
            db,
            clock,
            speed,
            durationMs,
            timelineStart: start,
            githubCalls: () => emulator.stats().total,
            sweepCalls: () => redeliverySweepCalls(emulator.stats()),
            liveRunners: () => runners.liveIds,
            leaseTtlMs: scenario.runner.leaseTtl,
          }),
        );
      },
    });
    const settled = await settle();
    const finalDataDirs = runners.liveDataDirs;
    await waitForWorktreeCleanup(finalDataDirs, 10_000);
    if (!settled) {
      const tails = await Promise.all(runners.liveIds.map((id) => runners.logTail(id)));
      log.warn({ runnerLogs: tails }, "the simulation did not settle before its deadline");
    }
    await runners.stopAll();
    const endedAt = Date.now();

    const app = await collectAppFacts(db);
    const journal = await readJournal(journalFile);
    return buildReport({
      scenario,
      speed,
      wallTimeMs: performance.now() - started,
      settled,
      journal,
      deaths: witness.deaths,
      isAlive: isAgentAlive,
      timelineStart: start,
      endedAt,
      tasks: app.tasks,
      attempts: app.attempts,
      followUps: app.followUps,
      adopted: app.adopted,
      refused: app.refused,
      pausedRepos: app.pausedRepos,
      pauses: app.pauses,
      badCommitsOnDefault: await countBadCommits(emulator, scenario),
      cancelledAt,
      outages: runners.outages,
      leaseTtlMs: scenario.runner.leaseTtl,
      ...(await collectGitHubFacts(emulator, scenario)),
      leakedWorktrees: (await leakedWorktrees(finalDataDirs)).length,
      idle,
      apiCalls: emulator.stats(),
      faults: { ...emulator.faultStats(), webhooksUnrecovered: emulator.unrecoveredDrops().length },
      webhookStatuses: emulator.deliveries().map((d) => d.status ?? 0),
    });
  } finally {
    process.off("SIGINT", interrupted).off("SIGTERM", interrupted);
    await cleanUp();
  }
}

/** A restart within the lease needs the lease to outlast a runner process's start in real time. */
function warnOfShortLease(
  scenario: Scenario,
  timeline: readonly TimelineAction[],
  clock: Clock,
  log: Logger,
): void {
  const killed = new Set<string>();
  for (const action of timeline) {
    if (action.kind === "kill-runner") killed.add(action.runner);
    if (action.kind === "start-runner" && killed.has(action.runner)) {
      const realMs = clock.scale(scenario.runner.leaseTtl);
      if (realMs < 5_000) {
        log.warn(
          { runner: action.runner, leaseRealMs: Math.round(realMs) },
          "at this speed the lease lasts only a few real seconds, about what a runner process needs to start; a restart may come too late to adopt",
        );
      }
      return;
    }
  }
}

async function createRepos(emulator: Emulator, scenario: Scenario, clock: Clock): Promise<void> {
  for (const repo of scenario.repos) {
    await emulator.createRepo({
      slug: repo.slug,
      files: repo.files,
      collaborators: repo.collaborators,
      ...(repo.fleetConfig === undefined ? {} : { fleetConfig: repo.fleetConfig }),
    });
  }
  for (const issue of scenario.issues) {
    if (issue.ci) {
      // The fleet's branch for the issue is fleet/<n>-<slug>.
      emulator.setCiRule(
        issue.repo,
        { headRef: new RegExp(`^fleet/${issue.number}-`) },
        {
          pr: issue.ci.pr,
          postMerge: issue.ci.postMerge,
          durationMs: Math.round(clock.scale(issue.ci.duration)),
        },
      );
    }
    await emulator.createIssue({
      repo: issue.repo,
      number: issue.number,
      title: issue.title,
      body: issue.body,
      by: issue.labels[0]?.by ?? "octocat",
    });
  }
}

/** Default-branch commits whose post-merge checks failed and that are still not reverted. */
async function countBadCommits(emulator: Emulator, scenario: Scenario): Promise<number> {
  let total = 0;
  for (const { slug } of scenario.repos) {
    const repo = emulator.state.repo(slug);
    if (!repo) continue;
    const failed = new Set(
      emulator.state
        .checkRuns(slug)
        .filter((run) => run.conclusion === "failure" && !run.name.startsWith("fleet/"))
        .map((run) => run.headSha),
    );
    total += (await unrevertedBadCommits(repo.gitDir, repo.defaultBranch, failed)).length;
  }
  return total;
}

/** Pulls with their changed files, branches, comments and labels, as the emulator holds them. */
async function collectGitHubFacts(emulator: Emulator, scenario: Scenario) {
  const pulls = new Map<
    string,
    Array<PullSummary & { files: string[]; checks: Record<string, string> }>
  >();
  const branches = new Map<string, string[]>();
  for (const repo of scenario.repos) {
    const gitDir = emulator.state.repo(repo.slug)?.gitDir;
    const withFiles = [];
    for (const pull of emulator.pulls(repo.slug)) {
      const files = gitDir ? await diffFiles(gitDir, pull.base, pull.head) : [];
      // The newest run of each name on the head, as GitHub's `filter=latest` shows them.
      const checks: Record<string, string> = {};
      for (const run of emulator.state
        .checkRuns(repo.slug)
        .filter((r) => r.headSha === pull.headSha)
        .sort((a, b) => a.id - b.id)) {
        checks[run.name] = run.conclusion ?? run.status;
      }
      withFiles.push({ ...pull, files: files.map((f) => f.filename).sort(), checks });
    }
    pulls.set(repo.slug, withFiles);
    branches.set(repo.slug, gitDir ? [...(await listBranches(gitDir)).keys()] : []);
  }
  const keyed = <T>(read: (repo: string, issue: number) => T) =>
    new Map(scenario.issues.map((i) => [`${i.repo}#${i.number}`, read(i.repo, i.number)]));
  const fleetIssues = scenario.repos.flatMap(({ slug }) =>
    emulator.state
      .issues(slug)
      .filter((i) => i.user.login === emulator.app.botLogin)
      .map((i) => ({ repo: slug, number: i.number, title: i.title, state: i.state })),
  );
  return {
    pulls,
    branches,
    fleetIssues,
    comments: keyed((repo, issue) => emulator.comments(repo, issue).map((c) => c.body)),
    labels: keyed((repo, issue) => emulator.state.labels(repo, issue)),
  };
}
