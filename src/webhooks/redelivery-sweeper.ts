import type { Logger } from "pino";
import type { Clock } from "../config/clock.js";
import type { Db } from "../db/client.js";
import type { RedeliveryGitHub } from "../github/redelivery-github.js";
import { webhookRedeliveries } from "../metrics/registry.js";
import { findMissedDeliveries } from "./missed-deliveries.js";

export const DEFAULT_REDELIVERY_INTERVAL_MS = 15 * 60_000;

/** The two-int advisory lock key of the sweep ("fr", 1): one server process sweeps at a time. */
export const REDELIVERY_LOCK = [0x6672, 1] as const;

/**
 * Real ms each window reaches back before the previous sweep began. Not scaled: GitHub records
 * a delivery only once its own 10 s timeout passed, and the two clocks may disagree.
 */
export const WINDOW_MARGIN_MS = 60_000;

export interface RedeliverySweeperDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  github: RedeliveryGitHub;
  /** Configured ms between sweeps (scaled by the clock); 0 never sweeps on a timer. */
  intervalMs: number;
  /** Told after each sweep (tests wait on it). */
  onSweep?: (result: SweepResult) => void;
}

export interface SweepResult {
  /** False when another process was sweeping: this one did nothing. */
  swept: boolean;
  /** Epoch ms the window began. */
  since: number;
  listed: number;
  /** Guids redelivered, oldest event first. */
  redelivered: string[];
  /** Guids whose redelivery GitHub refused or did not answer: the next sweep tries again. */
  failed: string[];
  /** Guids that failed too often to ask again. */
  givenUp: string[];
}

/**
 * The missed-delivery sweep: GitHub never redelivers a failed webhook by itself, so every
 * interval the webhook server lists the app's deliveries since its last sweep and asks again for
 * each event that never reached it. The app handles a delivery id once, so an event that is
 * redelivered twice (by two processes sweeping one after the other) is still handled once.
 */
export class RedeliverySweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;
  /** When the previous sweep began; the first sweep looks back one interval before the start. */
  private lastSweepAt: number;
  private readonly reportedGivenUp = new Set<string>();

  constructor(private readonly deps: RedeliverySweeperDeps) {
    this.lastSweepAt = deps.clock.now() - deps.clock.scale(deps.intervalMs);
  }

  start(): void {
    if (this.deps.intervalMs > 0) this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One sweep now, unless another process holds the sweep's lock. */
  async sweep(): Promise<SweepResult> {
    const startedAt = this.deps.clock.now();
    const since = this.lastSweepAt - WINDOW_MARGIN_MS;
    const result = await this.withLock(async () => {
      const outcome = await this.redeliverMissed(since);
      this.lastSweepAt = startedAt;
      return outcome;
    });
    const final = result ?? {
      swept: false,
      since,
      listed: 0,
      redelivered: [],
      failed: [],
      givenUp: [],
    };
    this.deps.onSweep?.(final);
    return final;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.sweep()
        .catch((error: unknown) =>
          this.deps.log.warn({ err: error }, "webhook redelivery sweep failed; trying again later"),
        )
        .finally(() => {
          this.running = undefined;
          this.schedule();
        });
    }, this.deps.clock.scale(this.deps.intervalMs));
  }

  private async redeliverMissed(since: number): Promise<SweepResult> {
    const { github, log } = this.deps;
    const found = await findMissedDeliveries(github, since);
    const result: SweepResult = {
      swept: true,
      since,
      listed: found.listed,
      redelivered: [],
      failed: [],
      givenUp: found.givenUp.map((m) => m.guid),
    };
    for (const missed of found.missed) {
      const about = { delivery: missed.guid, event: missed.event, action: missed.action };
      try {
        await github.redeliver(missed.attemptId);
        webhookRedeliveries.inc({ result: "requested" });
        result.redelivered.push(missed.guid);
        log.info({ ...about, lastStatus: missed.lastStatus }, "missed webhook redelivered");
      } catch (error) {
        webhookRedeliveries.inc({ result: "failed" });
        result.failed.push(missed.guid);
        log.warn(
          { ...about, err: error },
          "webhook redelivery refused; the next sweep tries again",
        );
      }
    }
    for (const missed of found.givenUp) {
      if (this.reportedGivenUp.has(missed.guid)) continue;
      this.reportedGivenUp.add(missed.guid);
      webhookRedeliveries.inc({ result: "given_up" });
      log.error(
        {
          delivery: missed.guid,
          event: missed.event,
          action: missed.action,
          attempts: missed.attempts,
        },
        "webhook delivery failed every attempt; not redelivered again (redeliver it by hand once the cause is fixed)",
      );
    }
    if (result.redelivered.length || result.failed.length) {
      log.info(
        {
          listed: result.listed,
          redelivered: result.redelivered.length,
          failed: result.failed.length,
        },
        "webhook redelivery sweep",
      );
    }
    return result;
  }

  /** Runs `work` under the session advisory lock, or returns null when another process holds it. */
  private async withLock<T>(work: () => Promise<T>): Promise<T | null> {
    const client = await this.deps.db.$client.connect();
    let broken: Error | undefined;
    try {
      const { rows } = await client.query<{ locked: boolean }>(
        "select pg_try_advisory_lock($1, $2) as locked",
        [...REDELIVERY_LOCK],
      );
      if (!rows[0]?.locked) return null;
      try {
        return await work();
      } finally {
        await client
          .query("select pg_advisory_unlock($1, $2)", [...REDELIVERY_LOCK])
          .catch((error: unknown) => {
            // Destroying the connection ends its session, which frees the lock.
            broken = error as Error;
          });
      }
    } finally {
      client.release(broken);
    }
  }
}
