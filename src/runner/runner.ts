import { hostname } from "node:os";
import type { Logger } from "pino";
import type { Clock } from "../config/clock.js";
import { parseFleetConfig } from "../config/fleet-config.js";
import type { Db } from "../db/client.js";
import { listen, TASK_CANCELLED, TASK_QUEUED } from "../db/notify.js";
import {
  claimNextTask,
  listHeldAttempts,
  nextRetryDueAt,
  recordAttemptHeartbeat,
  registerRunner,
  renewRunnerLease,
  renewTaskLeases,
  requeueDueRetries,
  stopRunner,
  takeOverExpiredTasks,
} from "../db/queries/index.js";
import type { Attempt, Task } from "../db/schema.js";
import type { DeliveryGitHubFactory } from "../github/types.js";
import { observeAttemptEnded } from "../metrics/attempt-metrics.js";
import { countEvent } from "../metrics/observe-event.js";
import { runnerClaimQueries, runnerWakeups } from "../metrics/registry.js";
import { startAttempt } from "./attempt.js";
import type { AttemptContext } from "./attempt-context.js";
import { attemptDirFor, leaseFileFor, worktreeDirFor } from "./attempt-meta.js";
import { pruneOrphanWorktrees } from "./prune-worktrees.js";
import { reconcileAttempt } from "./reconcile.js";
import { resolveRunnerId } from "./runner-id.js";
import { touchLease } from "./supervise.js";
import { WakeSchedule } from "./wake-schedule.js";
import { Workspaces } from "./workspace.js";

export interface RunnerOptions {
  db: Db;
  databaseUrl: string;
  dataDir: string;
  clock: Clock;
  log: Logger;
  github: DeliveryGitHubFactory;
  id?: string;
  capacity?: number;
  /** Configured lease TTL (scaled by the clock). */
  leaseMs?: number;
  /** The operator's agent command, used when a repo's fleet.yml names none. */
  defaultAgentCommand?: string[];
  /** Where pass-through agent variables (fleet.yml `agent.env`) are read from. */
  hostEnv?: NodeJS.ProcessEnv;
  /**
   * Called after an attempt moved a task to pr_open (a PR opened, a fix or rebase pushed), so
   * the merge policy judges the new head at once. Errors are logged, never thrown.
   */
  afterPullOpened?: (task: Task) => Promise<void>;
}

const MIN_LEASE_MS = 3_000;

interface Held {
  task: Task;
  attempt: Attempt;
  cancel: AbortController;
  release: AbortController;
  done: Promise<void>;
  heartbeatPersistedAt: number;
}

/**
 * Claims tasks up to its capacity and supervises their agents. It wakes on NOTIFY; a fallback
 * sweep backs off from 1 s to 5 min while nothing happens. It renews its leases every third of
 * the TTL, adopts its live agents after a restart, and takes over the work of runners that died.
 */
export class Runner {
  private runnerId: string | undefined;
  private readonly capacity: number;
  private readonly leaseMs: number;
  private readonly held = new Map<number, Held>();
  /** PRs just pushed, being judged beside the attempts (see announce). */
  private readonly announcing = new Set<Promise<void>>();
  private readonly schedule = new WakeSchedule();
  private readonly workspaces: Workspaces;
  private stopping = false;
  private filling: Promise<void> | null = null;
  private refill = false;
  private sweepTimer: NodeJS.Timeout | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private listener: { close(): Promise<void> } | undefined;
  /** Counted so the cost of an idle fleet can be measured. */
  claimQueries = 0;
  wakeups = 0;

  constructor(private readonly options: RunnerOptions) {
    this.capacity = options.capacity ?? 4;
    // Timers and a busy event loop jitter by hundreds of milliseconds: a lease shorter than a
    // few seconds of real time would let healthy agents' dead-man's switches fire.
    this.leaseMs = Math.max(options.clock.scale(options.leaseMs ?? 60_000), MIN_LEASE_MS);
    this.workspaces = new Workspaces({ root: options.dataDir, log: options.log });
  }

  get id(): string {
    if (!this.runnerId) throw new Error("the runner has not started");
    return this.runnerId;
  }

  get activeAttempts(): number {
    return this.held.size;
  }

  counters() {
    return { claimQueries: this.claimQueries, wakeups: this.wakeups };
  }

  private get log() {
    return this.options.log;
  }

  async start(): Promise<void> {
    const { db } = this.options;
    this.runnerId = await resolveRunnerId(this.options.dataDir, this.options.id);
    await registerRunner(db, {
      id: this.id,
      hostname: hostname(),
      pid: process.pid,
      capacity: this.capacity,
      leaseMs: this.leaseMs,
    });
    await this.reconcile();
    // Adopted agents' dead-man's switches have been ticking since the old process died.
    await this.renewLeases();
    this.listener = await listen(
      this.options.databaseUrl,
      [TASK_QUEUED, TASK_CANCELLED],
      (channel, payload) => this.onNotification(channel, payload),
      { log: this.log, onReconnect: () => this.wake("reconnect") },
    );
    this.leaseTimer = setInterval(() => void this.renewLeases(), this.leaseMs / 3);
    this.log.info(
      { runner: this.id, capacity: this.capacity, leaseMs: this.leaseMs },
      "runner started",
    );
    this.wake("start");
  }

  /** Resolves when every attempt this runner holds has finished. */
  async drain(): Promise<void> {
    while (this.held.size > 0 || this.filling || this.announcing.size > 0) {
      await Promise.all([
        ...[...this.held.values()].map((h) => h.done),
        this.filling,
        ...this.announcing,
      ]);
    }
  }

  /**
   * Stops claiming. Unstarted work goes back to the queue; running agents are left alive for
   * this runner's successor, which adopts them (use drain() first to wait for them instead).
   */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.sweepTimer);
    await this.listener?.close();
    await this.filling;
    for (const held of this.held.values()) held.release.abort("runner stopping");
    await Promise.allSettled([...this.held.values()].map((h) => h.done));
    await Promise.allSettled([...this.announcing]);
    const leftRunning = [...this.held.values()].length;
    clearInterval(this.leaseTimer);
    if (leftRunning > 0) {
      // Keep the lease: a successor with this id adopts these agents before it expires.
      await renewRunnerLease(this.options.db, this.id, this.leaseMs, this.counters());
      this.log.info(
        { runner: this.id, agents: leftRunning },
        "runner stopped; running agents were left alive for its successor",
      );
    } else {
      await stopRunner(this.options.db, this.id, this.counters());
      this.log.info({ runner: this.id }, "runner stopped");
    }
  }

  private async reconcile(): Promise<void> {
    const held = await listHeldAttempts(this.options.db, this.id);
    await pruneOrphanWorktrees({
      dataDir: this.options.dataDir,
      keep: new Set(
        held.map((h) => worktreeDirFor(this.options.dataDir, h.task.id, h.attempt.number)),
      ),
      workspaces: this.workspaces,
      log: this.log,
    });
    for (const claim of held) {
      const context = this.contextFor(claim);
      const { kind, run } = await reconcileAttempt(context.ctx, claim);
      this.track(claim, context, run);
      this.log.info({ taskId: claim.task.id, attempt: claim.attempt.number, kind }, "reconciled");
    }
  }

  private onNotification(channel: string, payload: string): void {
    if (channel === TASK_QUEUED) {
      this.wake("notify");
      return;
    }
    const { taskId } = JSON.parse(payload) as { taskId: number | string };
    const held = this.held.get(Number(taskId));
    if (held) {
      this.log.info({ taskId }, "task cancelled; stopping its agent");
      held.cancel.abort("cancelled");
    }
  }

  private wake(reason: string): void {
    if (this.stopping) return;
    this.wakeups += 1;
    runnerWakeups.inc({ reason });
    if (this.filling) {
      this.refill = true;
      return;
    }
    this.filling = this.fill(reason).finally(() => {
      this.filling = null;
      if (this.refill) {
        this.refill = false;
        this.wake("refill");
      }
    });
  }

  private async fill(reason: string): Promise<void> {
    let claimed = 0;
    let nextDue: Date | null = null;
    try {
      await requeueDueRetries(this.options.db);
      while (!this.stopping && this.held.size < this.capacity) {
        this.claimQueries += 1;
        runnerClaimQueries.inc();
        const claim = await claimNextTask(this.options.db, {
          runnerId: this.id,
          leaseMs: this.leaseMs,
        });
        if (!claim) break;
        // The claim writes its event in SQL of its own: counted here, once it committed.
        countEvent({ kind: "claimed", fromState: "queued", toState: "running" });
        claimed += 1;
        const context = this.contextFor(claim);
        this.track(claim, context, startAttempt(context.ctx));
      }
      nextDue = await nextRetryDueAt(this.options.db);
    } catch (error) {
      this.log.error({ err: error, reason }, "claiming failed; the fallback sweep will retry");
    }
    if (claimed > 0) this.schedule.foundWork();
    else this.schedule.foundNothing();
    this.armSweep(nextDue);
  }

  /** The fallback sweep, woken early when a retry's backoff ends before it. */
  private armSweep(nextDue: Date | null): void {
    clearTimeout(this.sweepTimer);
    if (this.stopping) return;
    let delay = this.options.clock.scale(this.schedule.intervalMs);
    if (nextDue) delay = Math.min(delay, Math.max(0, nextDue.getTime() - Date.now()) + 5);
    this.sweepTimer = setTimeout(() => this.wake("sweep"), delay);
    this.sweepTimer.unref();
  }

  private contextFor(claim: { task: Task; attempt: Attempt }) {
    const cancel = new AbortController();
    const release = new AbortController();
    const taskId = claim.task.id;
    const parsed = parseFleetConfig(claim.task.config);
    if (!parsed.ok) throw new Error(`task ${taskId} carries an invalid fleet config snapshot`);
    const ctx: AttemptContext = {
      ...claim,
      config: parsed.config,
      db: this.options.db,
      clock: this.options.clock,
      log: this.log.child({
        taskId,
        attempt: claim.attempt.number,
        repo: claim.task.repoFullName,
        issue: claim.task.issueNumber,
      }),
      github: this.options.github,
      workspaces: this.workspaces,
      dataDir: this.options.dataDir,
      cancel: cancel.signal,
      release: release.signal,
      leaseTtlMs: this.leaseMs,
      defaultAgentCommand: this.options.defaultAgentCommand,
      hostEnv: this.options.hostEnv ?? process.env,
      onHeartbeat: (atMs) => this.persistHeartbeat(taskId, atMs),
      ...(this.options.afterPullOpened ? { afterPullOpened: (task) => this.announce(task) } : {}),
    };
    return { ctx, cancel, release };
  }

  /**
   * Judging a PR the runner just pushed runs beside the attempt rather than inside it, so the
   * attempt's slot is free for the next claim at once; stop() and drain() wait for it.
   */
  private announce(task: Task): Promise<void> {
    const hook = this.options.afterPullOpened;
    if (!hook) return Promise.resolve();
    const run: Promise<void> = hook(task)
      .catch((error: unknown) =>
        this.log.error({ err: error, pr: task.prNumber }, "the after-pull-opened hook failed"),
      )
      .finally(() => this.announcing.delete(run));
    this.announcing.add(run);
    return Promise.resolve();
  }

  private track(
    claim: { task: Task; attempt: Attempt },
    context: { ctx: AttemptContext; cancel: AbortController; release: AbortController },
    run: Promise<void>,
  ): void {
    const taskId = claim.task.id;
    const entry: Held = {
      ...claim,
      cancel: context.cancel,
      release: context.release,
      done: Promise.resolve(),
      heartbeatPersistedAt: 0,
    };
    entry.done = run
      .catch((error: unknown) =>
        context.ctx.log.error({ err: error }, "attempt crashed in the runner"),
      )
      .then(() => observeAttemptEnded(this.options.db, claim.attempt.id))
      .finally(() => {
        // A released agent keeps running for the successor: its lease stays with this runner id.
        // The task may already be held again: the pr_open hook can queue its next work, which
        // this runner claims before this attempt's promise settles.
        if (this.held.get(taskId) === entry) this.held.delete(taskId);
        this.wake("attempt finished");
      });
    this.held.set(taskId, entry);
  }

  /** The status signal reaches the database at most once per lease renewal period. */
  private persistHeartbeat(taskId: number, atMs: number): void {
    const held = this.held.get(taskId);
    if (!held || atMs - held.heartbeatPersistedAt < this.leaseMs / 3) return;
    held.heartbeatPersistedAt = atMs;
    void recordAttemptHeartbeat(this.options.db, {
      attemptId: held.attempt.id,
      leaseToken: held.attempt.leaseToken,
    }).catch((error) => this.log.warn({ err: error }, "heartbeat not recorded"));
  }

  private async renewLeases(): Promise<void> {
    const { db } = this.options;
    try {
      for (const held of this.held.values()) {
        const dir = attemptDirFor(this.options.dataDir, held.task.id, held.attempt.number);
        try {
          await touchLease(leaseFileFor(dir));
        } catch (error) {
          this.log.warn(
            { err: error, taskId: held.task.id },
            "could not renew an agent's lease file",
          );
        }
      }
      await renewRunnerLease(db, this.id, this.leaseMs, this.counters());
      await renewTaskLeases(db, this.id, this.leaseMs);
      // Wait half a TTL past expiry: the dead runner's agents kill themselves at one TTL.
      const taken = await takeOverExpiredTasks(db, { graceMs: this.leaseMs / 2, sweeper: this.id });
      if (taken.length > 0)
        this.log.warn({ tasks: taken }, "took over the tasks of a runner that is gone");
    } catch (error) {
      this.log.warn({ err: error }, "lease renewal failed");
    }
  }
}
