import { setTimeout as delay } from "node:timers/promises";
import type { Clock } from "../config/clock.js";
import type { AppServer } from "./app-server.js";
import type { RestartablePostgres } from "./chaos/postgres.js";
import { redeliverStorm } from "./chaos/storm.js";
import type { Emulator } from "./emulator/index.js";
import type { RunnerProcesses } from "./runner-process.js";
import type { TimelineAction } from "./timeline.js";

export interface PlayContext {
  emulator: Emulator;
  runners: RunnerProcesses;
  server: AppServer;
  /** The simulator's own database, for `restart-postgres`; undefined on a database it was given. */
  postgres?: RestartablePostgres | undefined;
  clock: Clock;
  /** Real ms when the timeline began. */
  start: number;
  /** Waits for the fleet to settle, then measures a quiet period of `durationMs` (simulated). */
  quiet(durationMs: number): Promise<void>;
  /** Real time of the first unlabel or close per issue key, for the report. */
  cancelledAt: Map<string, number>;
}

/**
 * Plays the actions at their times, measured from the start so slow steps do not push later
 * ones back. A quiet period holds the timeline until it is measured; whatever fell due meanwhile
 * follows at once.
 */
export async function playTimeline(
  actions: readonly TimelineAction[],
  ctx: PlayContext,
): Promise<void> {
  for (const batch of batches(actions)) {
    const wait = ctx.start + ctx.clock.scale(batch.at) - Date.now();
    if (wait > 0) await delay(wait);
    await Promise.all(
      batch.chains.map(async (chain) => {
        for (const action of chain) await play(action, ctx);
      }),
    );
  }
}

/**
 * Groups actions due at the same time: issue actions run as one chain per issue, the chains
 * side by side (as GitHub delivers a burst of webhooks), and anything else alone, in order.
 */
function batches(actions: readonly TimelineAction[]) {
  const out: Array<{ at: number; chains: TimelineAction[][] }> = [];
  let open:
    | { at: number; chains: TimelineAction[][]; byIssue: Map<string, TimelineAction[]> }
    | undefined;
  for (const action of actions) {
    if (!("issue" in action)) {
      open = undefined;
      out.push({ at: action.at, chains: [[action]] });
      continue;
    }
    if (!open || open.at !== action.at) {
      open = { at: action.at, chains: [], byIssue: new Map() };
      out.push(open);
    }
    const key = `${action.repo}#${action.issue}`;
    const chain = open.byIssue.get(key);
    if (chain) {
      chain.push(action);
    } else {
      const fresh = [action];
      open.byIssue.set(key, fresh);
      open.chains.push(fresh);
    }
  }
  return out;
}

async function play(action: TimelineAction, ctx: PlayContext): Promise<void> {
  const { emulator } = ctx;
  switch (action.kind) {
    case "label":
      await emulator.addLabel(action);
      break;
    case "unlabel":
      noteCancel(ctx, action);
      await emulator.removeLabel(action);
      break;
    case "close":
      // Its PR may have merged and closed it already: then there is nothing left to close.
      if (emulator.state.issue(action.repo, action.issue)?.state === "closed") break;
      noteCancel(ctx, action);
      await emulator.closeIssue(action);
      break;
    case "redeliver":
      await emulator.redeliver(findLabelDelivery(emulator, action));
      break;
    case "start-runner":
      await ctx.runners.start(action.runner);
      break;
    case "kill-runner":
      await ctx.runners.kill(action.runner);
      break;
    case "restart-server":
      await ctx.server.restart();
      break;
    case "kill-server":
      await ctx.server.kill();
      break;
    case "start-server":
      await ctx.server.start();
      break;
    case "stop-postgres":
      await postgresOf(ctx).stop();
      break;
    case "start-postgres":
      await postgresOf(ctx).start();
      break;
    case "redeliver-storm":
      await redeliverStorm(emulator, action.count);
      break;
    case "quiet":
      await ctx.quiet(action.durationMs);
      break;
    case "review": {
      const pull = await waitForIssuePull(emulator, action.repo, action.issue);
      await emulator.submitReview({ ...action, pull });
      break;
    }
    case "comment": {
      const on =
        action.on === "pr"
          ? await waitForIssuePull(emulator, action.repo, action.issue)
          : action.issue;
      await emulator.comment({ repo: action.repo, issue: on, by: action.by, body: action.body });
      break;
    }
    case "commit":
      await emulator.commitFiles(action);
      break;
  }
}

/** The number of the fleet's PR for an issue, waiting for the agent to open it. */
async function waitForIssuePull(emulator: Emulator, repo: string, issue: number): Promise<number> {
  const deadline = Date.now() + PULL_WAIT_MS;
  for (;;) {
    const pull = emulator.pulls(repo).find((p) => p.head.startsWith(`fleet/${issue}-`));
    if (pull) return pull.number;
    if (Date.now() > deadline) throw new Error(`no pull request for ${repo}#${issue} appeared`);
    await delay(25);
  }
}

/** Real ms a scripted review or PR comment waits for its PR before the scenario fails. */
const PULL_WAIT_MS = 120_000;

function postgresOf(ctx: PlayContext): RestartablePostgres {
  if (!ctx.postgres) {
    throw new Error("restart-postgres needs the simulator's own database (no DATABASE_URL given)");
  }
  return ctx.postgres;
}

function noteCancel(ctx: PlayContext, action: { repo: string; issue: number }): void {
  const key = `${action.repo}#${action.issue}`;
  if (!ctx.cancelledAt.has(key)) ctx.cancelledAt.set(key, Date.now());
}

function findLabelDelivery(
  emulator: Emulator,
  action: { repo: string; issue: number; label: string },
): string {
  const original = emulator.deliveries().find((d) => {
    const payload = d.payload as {
      issue?: { number?: number };
      repository?: { full_name?: string };
      label?: { name?: string };
    };
    return (
      d.event === "issues" &&
      d.action === "labeled" &&
      payload.issue?.number === action.issue &&
      payload.repository?.full_name === action.repo &&
      payload.label?.name === action.label
    );
  });
  if (!original) {
    throw new Error(`nothing to redeliver for ${action.repo}#${action.issue} ${action.label}`);
  }
  return original.id;
}
