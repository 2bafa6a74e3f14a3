import type { DbOrTx } from "../db/client.js";
import type { TaskState } from "../db/task-states.js";
import { afterCommit } from "./after-commit.js";
import {
  agentsAdopted,
  attemptsCrashed,
  attemptsLost,
  attemptsStalled,
  attemptsTimedOut,
  dispatches,
  eventsWritten,
  merges,
  pullsFlagged,
  reverts,
  tasksEnqueued,
} from "./registry.js";

/** The part of an `events` row the counters read. */
export interface ObservedEvent {
  kind: string;
  fromState?: TaskState | null;
  toState?: TaskState | null;
  data?: Record<string, unknown> | null;
}

/**
 * Counts an events row written on `db`, once it is committed. Call it beside every insert into
 * `events`; the one table below says which counters each kind moves.
 */
export function observeEvent(db: DbOrTx, event: ObservedEvent): void {
  afterCommit(db, () => countEvent(event));
}

export function countEvent(event: ObservedEvent): void {
  eventsWritten.inc({ kind: event.kind });
  EVENT_COUNTERS[event.kind]?.(event);
}

const EVENT_COUNTERS: Record<string, (event: ObservedEvent) => void> = {
  enqueued: (event) =>
    tasksEnqueued.inc({ kind: event.data?.revertOf === undefined ? "issue" : "revert" }),
  agent_started: (event) => dispatches.inc({ work: text(event.data?.work) ?? "implement" }),
  // Every attempt an agent or the runner ends goes through finishAttempt's event.
  attempt_finished: (event) => {
    const outcome = event.data?.outcome;
    if (outcome === "stalled") attemptsStalled.inc();
    else if (outcome === "timed_out") attemptsTimedOut.inc();
    else if (outcome === "crashed") attemptsCrashed.inc();
    else if (outcome === "lost") attemptsLost.inc({ via: "runner" });
    // Work on an open PR that ran out of attempts hands the PR to humans (flagPull).
    if (event.toState === "needs_review") pullsFlagged.inc();
  },
  // Another runner requeued a dead runner's task and marked its attempt lost.
  taken_over: () => attemptsLost.inc({ via: "takeover" }),
  adopted: () => agentsAdopted.inc(),
  merged: (event) => merges.inc({ by: event.data?.by === "fleet" ? "fleet" : "human" }),
  flagged: () => pullsFlagged.inc(),
  reverted: () => reverts.inc(),
};

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
