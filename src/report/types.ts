/**
 * The morning report: what happened in a window, as plain data (ISO times, milliseconds), so
 * it prints as JSON as it is and formats as text or markdown.
 */
export interface MorningReport {
  window: { from: string; to: string; ms: number };
  /** The repos it covers; null: every repo. */
  repos: string[] | null;
  wakeups: WakeupSummary;
  dispatches: {
    /** Attempts started in the window (each claim dispatches work). */
    total: number;
    issues: number;
    perIssue: IssueDispatches[];
    duplicates: DuplicateStart[];
  };
  policy: { merged: PolicyEvent[]; flagged: PolicyEvent[]; reverted: PolicyEvent[] };
  attempts: {
    started: number;
    /** Attempts that ended in the window, by outcome. */
    finished: number;
    byOutcome: Record<string, number>;
    stalled: number;
    timedOut: number;
    crashed: number;
    lost: number;
    runnerErrors: number;
    /** Live agents a restarted runner took back (`adopted` events). */
    adopted: number;
  };
  /** The longest attempt that ran during the window, measured over its whole run. */
  longestAttempt: AttemptRef | null;
  cost: {
    /** Sum of the cost agents reported for the attempts that ended in the window. */
    totalUsd: number;
    attemptsWithCost: number;
    attemptsWithoutCost: number;
    mostExpensive: (AttemptRef & { costUsd: number }) | null;
  };
  /** Attempt run time overlapping each UTC hour of the window (clipped to the window). */
  busyByHour: HourBusy[];
  budget: { exhausted: BudgetStop[]; overBudget: AttemptRef[] };
  /** Failed attempts that ended in the window, grouped by cause, most frequent first. */
  failures: FailureCauseGroup[];
}

export interface WakeupSummary {
  /** What these counters measure, in words: they are per runner process, not per window. */
  scope: string;
  runners: RunnerWork[];
  totals: WorkCounters;
}

export interface WorkCounters {
  wakeups: number;
  claimQueries: number;
  /** Tasks claimed: the claim queries that found work. */
  claims: number;
  emptyClaimQueries: number;
  /** emptyClaimQueries / claimQueries; null before any claim query. */
  idleShare: number | null;
}

export interface RunnerWork extends WorkCounters {
  id: string;
  hostname: string;
  state: string;
  /** When this runner process registered: its counters start here. */
  startedAt: string;
  heartbeatAt: string;
}

export interface IssueDispatches {
  repo: string;
  issue: number;
  dispatches: number;
  /** Each attempt's outcome in order; "running" while unfinished. */
  outcomes: string[];
}

export interface DuplicateStart {
  repo: string;
  issue: number;
  attempt: number;
  startedAt: string;
}

export interface PolicyEvent {
  repo: string;
  issue: number;
  pr: number | null;
  at: string;
  reason: string | null;
}

export interface AttemptRef {
  repo: string;
  issue: number;
  attempt: number;
  runtimeMs: number;
  /** null while it still runs. */
  outcome: string | null;
}

export interface HourBusy {
  /** The start of the UTC hour. */
  hour: string;
  busyMs: number;
  /** The part of the hour inside the window. */
  spanMs: number;
}

/** A claim put back because the installation's daily budget was spent (`budget_exhausted`). */
export interface BudgetStop {
  /** The issue whose claim was put back, when the event names a task. */
  repo: string | null;
  issue: number | null;
  installationId: number | null;
  spentUsd: number | null;
  limitUsd: number | null;
  at: string;
}

export interface FailureExample {
  repo: string;
  issue: number;
  attempt: number;
  message: string;
  at: string;
}

export interface FailureCauseGroup {
  fingerprint: string;
  cause: string;
  outcome: string;
  /** Runner errors, lost attempts, stalls, timeouts and crashes: the fleet's, not the issue's. */
  infrastructure: boolean;
  count: number;
  firstAt: string;
  lastAt: string;
  examples: FailureExample[];
}
