import type { PullGitHubFactory } from "../github/pull-github.js";
import { deadlineSweeps } from "../metrics/registry.js";
import type { MergeDeps } from "./context.js";
import { sweepDeadlines } from "./deadlines.js";

/** Configured ms between sweeps when no deadline is nearer: deadlines are hours, not seconds. */
const MAX_INTERVAL_MS = 5 * 60_000;

/**
 * Runs the policy's database timers (pending checks, post-merge verification) in a runner
 * process: it sweeps, then sleeps until the next deadline or at most five (scaled) minutes,
 * since a deadline set meanwhile is always at least that far away.
 */
export class DeadlineSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly deps: MergeDeps,
    private readonly github: PullGitHubFactory,
  ) {}

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.sweep().finally(() => {
        this.running = undefined;
      });
    }, delayMs);
  }

  private async sweep(): Promise<void> {
    const { clock, log } = this.deps;
    let nextDueAt: Date | null = null;
    try {
      const result = await sweepDeadlines(this.deps, this.github);
      deadlineSweeps.inc({ result: "ok" });
      nextDueAt = result.nextDueAt;
      if (result.flagged.length || result.settled.length) {
        log.info({ flagged: result.flagged, settled: result.settled.length }, "deadlines swept");
      }
    } catch (error) {
      deadlineSweeps.inc({ result: "error" });
      log.warn({ err: error }, "deadline sweep failed; trying again later");
    }
    const ceiling = clock.scale(MAX_INTERVAL_MS);
    const untilDue = nextDueAt ? nextDueAt.getTime() - clock.now() : ceiling;
    this.schedule(Math.max(20, Math.min(ceiling, untilDue)));
  }
}
