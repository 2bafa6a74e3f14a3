import { eq, sql } from "drizzle-orm";
import type { Logger } from "pino";
import type { Clock } from "../config/clock.js";
import type { Db } from "../db/client.js";
import { type Listener, listen, TASK_EVENT } from "../db/notify.js";
import { events } from "../db/schema.js";
import { reposWithDashboard } from "./issue-state.js";
import {
  type DashboardIssueGitHubFactory,
  type DashboardSyncOutcome,
  syncDashboardIssue,
} from "./sync.js";

/** Configured ms a repo's events are gathered before its dashboard is rendered once. */
export const DASHBOARD_DEBOUNCE_MS = 5_000;
/** A failed GitHub write is tried again after this, doubling up to the ceiling, until it lands. */
const RETRY_MS = 60_000;
const MAX_RETRY_MS = 30 * 60_000;

export interface DashboardIssueUpdaterDeps {
  db: Db;
  /** For the dedicated LISTEN connection. */
  databaseUrl: string;
  clock: Clock;
  log: Logger;
  github: DashboardIssueGitHubFactory;
  debounceMs?: number;
  /** Called after each repo's sync, and with the error when one failed. */
  onSynced?: (
    repo: string,
    outcome: DashboardSyncOutcome | { kind: "error"; error: unknown },
  ) => void;
}

export interface DashboardIssueUpdater {
  stop(): Promise<void>;
}

interface RepoSchedule {
  timer?: NodeJS.Timeout;
  force?: boolean;
  failures: number;
  /** The sync in flight: syncs of one repo run one after another. */
  chain: Promise<void>;
}

/**
 * Keeps every repo's dashboard issue current from `fleet_task_event` notifications: the events
 * of one repo within one debounce window become one render, and GitHub hears of it only when
 * the body changed. Nothing polls. On start, and after a lost connection (whose notifications
 * are gone), every repo that has a dashboard is brought up to date once.
 */
export async function startDashboardIssueUpdater(
  deps: DashboardIssueUpdaterDeps,
): Promise<DashboardIssueUpdater> {
  const { db, clock } = deps;
  const log = deps.log.child({ name: "dashboard-issue" });
  const debounceMs = deps.debounceMs ?? DASHBOARD_DEBOUNCE_MS;
  const schedules = new Map<string, RepoSchedule>();
  let stopped = false;

  const scheduleOf = (repo: string) => {
    let entry = schedules.get(repo);
    if (!entry) {
      entry = { failures: 0, chain: Promise.resolve() };
      schedules.set(repo, entry);
    }
    return entry;
  };

  const run = async (repo: string, entry: RepoSchedule, force: boolean) => {
    try {
      const outcome = await syncDashboardIssue({ db, log }, deps.github, repo, { force });
      entry.failures = 0;
      deps.onSynced?.(repo, outcome);
      // An older body may have landed over the newer one: write the current body again.
      if (outcome.kind === "updated" && outcome.superseded) request(repo, 0, true);
    } catch (error) {
      entry.failures += 1;
      const retryIn = Math.min(RETRY_MS * 2 ** (entry.failures - 1), MAX_RETRY_MS);
      log.warn({ err: error, repo, retryInMs: retryIn }, "dashboard issue update failed");
      deps.onSynced?.(repo, { kind: "error", error });
      request(repo, retryIn);
    }
  };

  /** Opens a window for the repo unless one is open; its end renders once. */
  function request(repo: string, delayMs = debounceMs, force = false): void {
    if (stopped) return;
    const entry = scheduleOf(repo);
    if (force) entry.force = true;
    if (entry.timer) return;
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      const forced = entry.force ?? false;
      entry.force = undefined;
      entry.chain = entry.chain.then(() => (stopped ? undefined : run(repo, entry, forced)));
    }, clock.scale(delayMs));
  }

  const repoOf = async (payload: string): Promise<string | null> => {
    const message = JSON.parse(payload) as { id?: number; repo?: string | null };
    if (message.repo) return message.repo;
    if (typeof message.id !== "number") return null;
    // Events without a task (a pause, a refused tick) name their repo in their data.
    const [row] = await db
      .select({ repo: sql<string | null>`${events.data}->>'repo'` })
      .from(events)
      .where(eq(events.id, message.id));
    return row?.repo ?? null;
  };

  const everyDashboard = () => {
    reposWithDashboard(db).then(
      (repos) => {
        for (const repo of repos) request(repo);
      },
      (error: unknown) => log.warn({ err: error }, "could not list dashboard issues"),
    );
  };

  const listener: Listener = await listen(
    deps.databaseUrl,
    [TASK_EVENT],
    (_channel, payload) => {
      repoOf(payload).then(
        (repo) => {
          if (repo) request(repo);
        },
        (error: unknown) => log.warn({ err: error, payload }, "unreadable task event"),
      );
    },
    { log, onReconnect: everyDashboard },
  );
  everyDashboard();

  return {
    async stop() {
      stopped = true;
      await listener.close();
      for (const entry of schedules.values()) clearTimeout(entry.timer);
      await Promise.all([...schedules.values()].map((entry) => entry.chain));
    },
  };
}
