import type { Logger } from "pino";
import type { Clock } from "../config/clock.js";
import type { Db } from "../db/client.js";
import { getRepoState } from "../db/queries/index.js";
import type { ReportGitHub } from "../github/report-github.js";
import { claimReportRun, releaseReportRun } from "./claim.js";
import { type CauseSighting, fileFailureIssues } from "./file-issues.js";
import { postReport } from "./post.js";
import {
  groupReportTargets,
  latestSlot,
  nextSlot,
  type ReportTarget,
  repoReportConfigs,
  todaysSlot,
} from "./targets.js";

export interface ReportSchedulerDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  github: ReportGitHub;
  /** Told after every round (tests wait on it). */
  onRound?: (round: ReportRound) => void;
}

export interface ReportRound {
  /** Report issues this runner posted. */
  posted: Array<{ target: string; issue: number }>;
  /** Failure causes this runner recorded, per target. */
  causes: Array<{ target: string; sightings: CauseSighting[] }>;
  /** The next time a target is due (epoch ms), or null with no target configured. */
  nextDueAt: number | null;
}

/** Configured ms between rounds when no target is due sooner: picks up fleet.yml changes. */
const MAX_INTERVAL_MS = 15 * 60_000;

/**
 * One pass over every target: each one whose daily `report.at` has passed since its last run is
 * claimed on its repo_states row, its report posted and its new failure causes filed.
 */
export async function runReportRound(deps: ReportSchedulerDeps): Promise<ReportRound> {
  const nowMs = deps.clock.now();
  const targets = groupReportTargets(await repoReportConfigs(deps.db));
  const round: ReportRound = { posted: [], causes: [], nextDueAt: null };
  for (const target of targets) {
    try {
      await runTarget(deps, target, nowMs, round);
    } catch (error) {
      deps.log.warn({ err: error, target: target.target }, "report run failed; trying again later");
    }
    const next = nextSlot(target.at, nowMs);
    round.nextDueAt = round.nextDueAt === null ? next : Math.min(round.nextDueAt, next);
  }
  return round;
}

async function runTarget(
  deps: ReportSchedulerDeps,
  target: ReportTarget,
  nowMs: number,
  round: ReportRound,
): Promise<void> {
  const { db, log } = deps;
  const slot = latestSlot(target.at, nowMs);
  const state = await getRepoState(db, target.target);
  const lastRun = state?.reportPostedAt?.getTime() ?? null;
  if (lastRun !== null && lastRun >= slot) return;
  // A target that never ran waits for today's time rather than posting at once on a restart.
  if (lastRun === null && nowMs < todaysSlot(target.at, nowMs)) return;

  const installationId = state?.installationId ?? (await deps.github.installationOf(target.target));
  const at = new Date(nowMs);
  const claim = await claimReportRun(db, {
    target: target.target,
    installationId,
    slot: new Date(slot),
    at,
  });
  if (!claim) return;

  const to = at;
  const from = new Date(nowMs - deps.clock.scale(target.windowMs));
  if (target.postRepos.length) {
    try {
      const issue = await postReport(deps, {
        target: target.target,
        repos: target.postRepos,
        from,
        to,
      });
      round.posted.push({ target: target.target, issue });
      log.info({ target: target.target, issue, repos: target.postRepos }, "morning report posted");
    } catch (error) {
      await releaseReportRun(db, { target: target.target, at, previousRunAt: claim.previousRunAt });
      throw error;
    }
  }
  if (target.fileRepos.length) {
    // Only what the previous run has not counted yet, so occurrences count each failure once.
    const since = new Date(Math.max(from.getTime(), claim.previousRunAt?.getTime() ?? 0));
    const sightings = await fileFailureIssues(deps, {
      target: target.target,
      repos: target.fileRepos,
      from: since,
      to,
    });
    round.causes.push({ target: target.target, sightings });
  }
}

/**
 * Runs report rounds in a runner process: one at start, then at the next target's `report.at`,
 * or at most every fifteen (scaled) minutes. Every runner may run one; the claim on the target's
 * row makes each day's report happen once.
 */
export function startReportScheduler(deps: ReportSchedulerDeps): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = round().finally(() => {
        running = undefined;
      });
    }, delayMs);
  };

  const round = async () => {
    let nextDueAt: number | null = null;
    try {
      const result = await runReportRound(deps);
      nextDueAt = result.nextDueAt;
      deps.onRound?.(result);
    } catch (error) {
      deps.log.warn({ err: error }, "report round failed; trying again later");
    }
    const ceiling = deps.clock.scale(MAX_INTERVAL_MS);
    const untilDue = nextDueAt === null ? ceiling : nextDueAt - deps.clock.now();
    schedule(Math.max(20, Math.min(ceiling, untilDue)));
  };

  schedule(0);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
