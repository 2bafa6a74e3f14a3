import { createHash } from "node:crypto";

/**
 * Outcomes that point at the fleet's own machinery rather than at the issue or the agent's
 * judgement: these are the causes `report.fileIssues` files issues for.
 */
export const INFRASTRUCTURE_OUTCOMES: ReadonlySet<string> = new Set([
  "runner_error",
  "lost",
  "stalled",
  "timed_out",
  "crashed",
]);

/** Attempt outcomes that are not failures: the work got done, or was stopped on purpose. */
export const NON_FAILURE_OUTCOMES: ReadonlySet<string> = new Set([
  "succeeded",
  "released",
  "cancelled",
]);

const MAX_CAUSE_LENGTH = 200;
const MAX_MESSAGE_LENGTH = 160;

// Order matters: wider shapes first, so a path's digits do not become <n> inside it.
const REPLACEMENTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, "<url>"],
  [/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?/g, "<time>"],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<id>"],
  // Absolute, home-relative, dot-relative and Windows paths, and bare ones with two slashes.
  [/(?<![\w/.~-])(?:[A-Za-z]:\\|~\/|\.{1,2}\/|\/)[^\s:'"`,;()[\]{}<>]+/g, "<path>"],
  [/\b[\w.-]+(?:\/[\w.-]+){2,}/g, "<path>"],
  [/\b(?:0x)?(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,}\b/gi, "<hex>"],
  [/\b0x[0-9a-f]+\b/gi, "<hex>"],
  [
    /\b\d+(?:\.\d+)?\s?(?:ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)(?:\d+(?:\.\d+)?(?:ms|s|m|h))*\b/gi,
    "<duration>",
  ],
  [/\d+(?:\.\d+)?/g, "<n>"],
];

/**
 * The failure with everything that differs between two sightings of the same problem removed:
 * URLs, timestamps, ids, paths, hex ids, durations and numbers. Two attempts that failed for the
 * same reason get the same cause.
 */
export function normaliseCause(outcome: string, message: string | null | undefined): string {
  const firstLine = (message ?? "").split("\n").find((line) => line.trim() !== "") ?? "";
  let text = firstLine;
  for (const [pattern, replacement] of REPLACEMENTS) text = text.replace(pattern, replacement);
  text = text.replace(/\s+/g, " ").trim();
  const cause = text ? `${outcome}: ${text}` : outcome;
  return cause.length > MAX_CAUSE_LENGTH ? `${cause.slice(0, MAX_CAUSE_LENGTH - 1)}…` : cause;
}

/** A short, stable name for a cause: the first 12 hex digits of its sha256. */
export function causeFingerprint(cause: string): string {
  return createHash("sha256").update(cause).digest("hex").slice(0, 12);
}

/** The first line of a failure message, cut short for an example row. */
export function shortMessage(message: string | null | undefined): string {
  const line =
    (message ?? "")
      .split("\n")
      .find((l) => l.trim() !== "")
      ?.trim() ?? "";
  return line.length > MAX_MESSAGE_LENGTH ? `${line.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : line;
}
