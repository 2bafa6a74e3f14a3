import {
  causeFingerprint,
  INFRASTRUCTURE_OUTCOMES,
  NON_FAILURE_OUTCOMES,
  normaliseCause,
  shortMessage,
} from "./causes.js";
import type { FailureCauseGroup } from "./types.js";

/** One finished attempt and what is known of why it ended. */
export interface FinishedAttempt {
  repo: string;
  issue: number;
  attempt: number;
  outcome: string;
  endedAt: Date;
  exitCode: number | null;
  signal: string | null;
  /** The `attempt_finished` event's data; null when the attempt ended without one (a takeover). */
  finishData: Record<string, unknown> | null;
  /**
   * The task's `last_error`, and whether this attempt's finish wrote it: it is the task's latest
   * finish of an outcome that always writes it (others leave it alone, a follow-up clears it).
   */
  taskLastError: string | null;
  ownsLastError: boolean;
}

const EXAMPLES_PER_CAUSE = 3;

/**
 * Outcomes whose finish always writes the task's last_error: the runner's failure path (its
 * infrastructure outcomes and a cost limit) and a revert's conflict.
 */
export const WRITES_LAST_ERROR: ReadonlySet<string> = new Set([
  ...INFRASTRUCTURE_OUTCOMES,
  "over_budget",
  "conflict",
]);

/**
 * The best text for why an attempt failed. The finish event's own `lastError` when present; the
 * task's `last_error` only when this attempt's finish wrote it (a later finish overwrites it, a
 * takeover does not touch it); the reason a PR was flagged; what a takeover or an exit means.
 */
export function failureMessage(a: FinishedAttempt): string | null {
  const data = a.finishData ?? {};
  const generic = `last attempt ${a.outcome}`;
  const candidates = [
    typeof data.lastError === "string" ? data.lastError : null,
    a.ownsLastError && WRITES_LAST_ERROR.has(a.outcome) ? a.taskLastError : null,
    typeof data.flaggedReason === "string" ? data.flaggedReason : null,
  ];
  const text = candidates.find((c) => c !== null && c.trim() !== "" && c.trim() !== generic);
  if (text) return text;
  if (a.outcome === "lost" && a.finishData === null) {
    return "its runner's lease expired and another runner took the task over";
  }
  if (a.outcome === "crashed") {
    if (a.signal) return `killed by ${a.signal}`;
    if (a.exitCode !== null) return `exit code ${a.exitCode}`;
  }
  return null;
}

/** Failed attempts grouped by normalised cause, most frequent first, with a few examples each. */
export function groupFailures(finished: readonly FinishedAttempt[]): FailureCauseGroup[] {
  const groups = new Map<string, FailureCauseGroup>();
  const ordered = [...finished].sort((a, b) => a.endedAt.getTime() - b.endedAt.getTime());
  for (const a of ordered) {
    if (NON_FAILURE_OUTCOMES.has(a.outcome)) continue;
    const message = failureMessage(a);
    const cause = normaliseCause(a.outcome, message);
    const fingerprint = causeFingerprint(cause);
    const at = a.endedAt.toISOString();
    let group = groups.get(fingerprint);
    if (!group) {
      group = {
        fingerprint,
        cause,
        outcome: a.outcome,
        infrastructure: INFRASTRUCTURE_OUTCOMES.has(a.outcome),
        count: 0,
        firstAt: at,
        lastAt: at,
        examples: [],
      };
      groups.set(fingerprint, group);
    }
    group.count += 1;
    group.lastAt = at;
    if (group.examples.length < EXAMPLES_PER_CAUSE) {
      group.examples.push({
        repo: a.repo,
        issue: a.issue,
        attempt: a.attempt,
        message: shortMessage(message) || a.outcome.replaceAll("_", " "),
        at,
      });
    }
  }
  return [...groups.values()].sort((x, y) => y.count - x.count || x.cause.localeCompare(y.cause));
}
