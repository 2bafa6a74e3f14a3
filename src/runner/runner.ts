import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "pino";
import type { Clock } from "../config/clock.js";
import type { Db } from "../db/client.js";
import { listen, TASK_CANCELLED, TASK_QUEUED } from "../db/notify.js";
import {
  claimNextTask,
  registerRunner,
  renewRunnerLease,
  renewTaskLeases,
  stopRunner,
} from "../db/queries/index.js";
import type { DeliveryGitHubFactory } from "../github/types.js";
import { type AttemptContext, runAttempt } from "./attempt.js";
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
  leaseMs?: number;
  /** The operator's agent command, used when a repo's fleet.yml names none. */
  defaultAgentCommand?: string[];
  /** Where pass-through agent variables (fleet.yml `agent.env`) are read from. */
  hostEnv?: NodeJS.ProcessEnv;
}

interface Running {
  controller: AbortController;
  done: Promise<void>;
}

/** Claims tasks up to its capacity, supervises their agents, and wakes on NOTIFY. */
export class Runner {
  readonly id: string;
  private readonly capacity: number;
  private readonly leaseMs: number;
  private readonly running = new Map<number, Running>();
  private readonly schedule = new WakeSchedule();
  private readonly workspaces: Workspaces;
  private stopping = false;
  private filling: Promise<void> | null = null;
  private refill = false;
  private sweepTimer: NodeJS.Timeout | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private listener: { close(): Promise<void> } | undefined;
  /** Counts claim queries, so idle cost can be measured. */
  claimQueries = 0;
  wakeups = 0;

  constructor(private readonly options: RunnerOptions) {
    this.id = options.id ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.capacity = options.capacity ?? 4;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.workspaces = new Workspaces({ root: options.dataDir, log: options.log });
  }

  counters() {
    return { claimQueries: this.claimQueries, wakeups: this.wakeups };
  }

  get activeAttempts(): number {
    return this.running.size;
  }

  private get log() {
    return this.options.log;
  }

  async start(): Promise<void> {
    const { db } = this.options;
    await registerRunner(db, {
      id: this.id,
      hostname: hostname(),
      pid: process.pid,
      capacity: this.capacity,
      leaseMs: this.leaseMs,
    });
    this.listener = await listen(
      this.options.databaseUrl,
      [TASK_QUEUED, TASK_CANCELLED],
      (channel, payload) => this.onNotification(channel, payload),
      { log: this.log, onReconnect: () => this.wake("reconnect") },
    );
    this.leaseTimer = setInterval(
      () => void this.renewLeases(),
      this.options.clock.scale(this.leaseMs / 3),
    );
    this.log.info({ runner: this.id, capacity: this.capacity }, "runner started");
    this.wake("start");
  }

  /** Resolves when every attempt this runner started has finished. */
  async drain(): Promise<void> {
    while (this.running.size > 0 || this.filling) {
      await Promise.all([...[...this.running.values()].map((r) => r.done), this.filling]);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.sweepTimer);
    clearInterval(this.leaseTimer);
    await this.listener?.close();
    await this.filling;
    for (const attempt of this.running.values()) attempt.controller.abort("runner stopping");
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    await stopRunner(this.options.db, this.id, this.counters());
    this.log.info({ runner: this.id }, "runner stopped");
  }

  private onNotification(channel: string, payload: string): void {
    if (channel === TASK_QUEUED) {
      this.wake("notify");
      return;
    }
    const { taskId } = JSON.parse(payload) as { taskId: number | string };
    const attempt = this.running.get(Number(taskId));
    if (attempt) {
      this.log.info({ taskId }, "task cancelled; stopping its agent");
      attempt.controller.abort("cancelled");
    }
  }

  private wake(reason: string): void {
    if (this.stopping) return;
    this.wakeups += 1;
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
    try {
      while (!this.stopping && this.running.size < this.capacity) {
        this.claimQueries += 1;
        const claim = await claimNextTask(this.options.db, {
          runnerId: this.id,
          leaseMs: this.leaseMs,
        });
        if (!claim) break;
        claimed += 1;
        this.begin({ task: claim.task, attempt: claim.attempt });
      }
    } catch (error) {
      this.log.error({ err: error, reason }, "claiming failed; the fallback sweep will retry");
    }
    if (claimed > 0) this.schedule.foundWork();
    else this.schedule.foundNothing();
    this.armSweep();
  }

  private armSweep(): void {
    clearTimeout(this.sweepTimer);
    if (this.stopping) return;
    this.sweepTimer = setTimeout(
      () => this.wake("sweep"),
      this.options.clock.scale(this.schedule.intervalMs),
    );
    this.sweepTimer.unref();
  }

  private begin(claim: Pick<AttemptContext, "task" | "attempt">): void {
    const taskId = Number(claim.task.id);
    const controller = new AbortController();
    const context: AttemptContext = {
      ...claim,
      db: this.options.db,
      clock: this.options.clock,
      log: this.log.child({ taskId, repo: claim.task.repoFullName, issue: claim.task.issueNumber }),
      github: this.options.github,
      workspaces: this.workspaces,
      dataDir: this.options.dataDir,
      signal: controller.signal,
      defaultAgentCommand: this.options.defaultAgentCommand,
      hostEnv: this.options.hostEnv ?? process.env,
    };
    const done = runAttempt(context)
      .catch((error) => context.log.error({ err: error }, "attempt crashed in the runner"))
      .finally(() => {
        this.running.delete(taskId);
        this.wake("attempt finished");
      });
    this.running.set(taskId, { controller, done });
  }

  private async renewLeases(): Promise<void> {
    try {
      await renewRunnerLease(this.options.db, this.id, this.leaseMs, this.counters());
      await renewTaskLeases(this.options.db, this.id, this.leaseMs);
    } catch (error) {
      this.log.warn({ err: error }, "lease renewal failed");
    }
  }
}
