/** What every queue in the claim comparison implements, and how a round is measured. */

export interface Contender {
  name: string;
  /** Its own database: the round's commits are counted there. */
  databaseUrl: string;
  /** One line on what a worker does per job, printed under the table. */
  cycle: string;
  /** Queues `jobs` no-op jobs, outside the timing. */
  seed(jobs: number): Promise<void>;
  /** Works the queue with `workers` concurrent workers until `jobs` completed, or `deadlineMs`. */
  drain(workers: number, jobs: number, deadlineMs: number): Promise<Round>;
}

/** Completion times (performance.now) of one round. */
export class Round {
  private first = Number.POSITIVE_INFINITY;
  private last = Number.NEGATIVE_INFINITY;
  completed = 0;

  completedOne(at = performance.now()): void {
    this.completed++;
    this.first = Math.min(this.first, at);
    this.last = Math.max(this.last, at);
  }

  /** Moves the last completion later, e.g. to when the final completion was seen committed. */
  settledAt(at: number): void {
    this.last = Math.max(this.last, at);
  }

  /** Jobs per second from the first completion to the last: start-up costs are left out. */
  get perSecond(): number {
    const seconds = (this.last - this.first) / 1000;
    return this.completed > 1 && seconds > 0 ? (this.completed - 1) / seconds : 0;
  }

  get seconds(): number {
    return this.completed > 0 ? (this.last - this.first) / 1000 : 0;
  }
}

/** Resolves when `work` does, or after `ms` (a round stopped at its deadline). */
export async function withDeadline(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
