/**
 * The task state machine: one table of allowed transitions. Every state change in the codebase
 * is checked against it (see transition.ts), so a new path has to be added here first.
 */
export const TASK_STATES = [
  "queued",
  "running",
  "retry_wait",
  "pr_open",
  "needs_review",
  "merging",
  "merged",
  "verified",
  "reverted",
  "no_changes",
  "failed",
  "cancelled",
] as const;

export type TaskState = (typeof TASK_STATES)[number];

export const TRANSITIONS: Readonly<Record<TaskState, readonly TaskState[]>> = {
  queued: ["running", "cancelled", "failed"],
  // needs_review: a fix, rebase or conflict attempt on an open PR gave up; humans take over.
  running: ["pr_open", "needs_review", "no_changes", "retry_wait", "queued", "failed", "cancelled"],
  retry_wait: ["queued", "cancelled", "failed"],
  // queued: a fix, rebase or conflict-resolution attempt on the PR's branch.
  pr_open: ["needs_review", "merging", "merged", "queued", "failed", "cancelled"],
  needs_review: ["pr_open", "merging", "merged", "queued", "failed", "cancelled"],
  merging: ["merged", "pr_open", "needs_review", "queued", "failed", "cancelled"],
  merged: ["verified", "reverted"],
  // A human retry puts a failed issue back in the queue.
  failed: ["queued"],
  no_changes: [],
  verified: [],
  reverted: [],
  cancelled: [],
};

/** States that hold the one-active-task-per-issue slot (the partial unique index). */
export const ACTIVE_STATES = [
  "queued",
  "running",
  "retry_wait",
  "pr_open",
  "needs_review",
  "merging",
] as const satisfies readonly TaskState[];

export const TERMINAL_STATES: readonly TaskState[] = TASK_STATES.filter(
  (s) => TRANSITIONS[s].length === 0,
);

export function isTaskState(value: string): value is TaskState {
  return (TASK_STATES as readonly string[]).includes(value);
}

export function isActiveState(state: TaskState): boolean {
  return (ACTIVE_STATES as readonly TaskState[]).includes(state);
}

export function canTransition(from: TaskState, to: TaskState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: TaskState, to: TaskState): void {
  if (!canTransition(from, to)) {
    throw new Error(`illegal task transition ${from} -> ${to}`);
  }
}

/** Every state from which `to` may be reached. */
export function statesLeadingTo(to: TaskState): TaskState[] {
  return TASK_STATES.filter((from) => canTransition(from, to));
}
