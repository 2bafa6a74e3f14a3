import { formatDuration } from "../config/durations.js";
import { MARKER } from "../tasks/messages.js";

/** Labels the policy sets on a PR. */
export const NEEDS_REVIEW_LABEL = "fleet:needs-review";
export const REVERT_LABEL = "fleet:revert";

const list = (names: readonly string[]) => names.map((n) => `\`${n}\``).join(", ");

export function needsReviewComment(reason: string, reviewers: readonly string[]): string {
  const asked = reviewers.length
    ? ` Review requested from ${reviewers.map((r) => `@${r}`).join(", ")}.`
    : "";
  return `${MARKER}
This pull request needs a human review before agent-fleet merges it: ${reason}.${asked}
An approval of the current head by someone with write access lets it merge once the required checks pass; an approval of an older head does not count.`;
}

export function flaggedComment(reason: string): string {
  return `${MARKER}
agent-fleet will not merge this pull request on its own: ${reason}. It is over to a human now.`;
}

export function fixQueuedComment(input: {
  source: "checks" | "review";
  detail: string;
  attempt: number;
  max: number;
}): string {
  const why =
    input.source === "checks"
      ? `The required checks failed (${input.detail}).`
      : `${input.detail} requested changes.`;
  return `${MARKER}
${why} An agent will push a fix to this branch (fix attempt ${input.attempt} of ${input.max}).`;
}

export function rebaseQueuedComment(baseRef: string): string {
  return `${MARKER}
This branch conflicts with \`${baseRef}\`; agent-fleet will rebase it.`;
}

export function checksTimeoutReason(timeoutMs: number, waitingFor: string | null): string {
  const what = waitingFor ? ` (${waitingFor})` : "";
  return `required checks still pending after ${formatDuration(timeoutMs)}${what}`;
}

export function revertedComment(input: { mergeSha: string; failed: readonly string[] }): string {
  return `${MARKER}
The default branch went red after this merge (\`${input.mergeSha.slice(0, 7)}\`): ${list(input.failed)} failed. agent-fleet is opening a revert pull request and has paused the repository: no new dispatches and no auto-merges until a maintainer comments \`/fleet resume\`.`;
}

export function revertRedComment(input: { mergeSha: string; failed: readonly string[] }): string {
  return `${MARKER}
The default branch is still red after this revert merged (\`${input.mergeSha.slice(0, 7)}\`): ${list(input.failed)} failed. agent-fleet does not revert a revert; the repository stays paused until a maintainer comments \`/fleet resume\`.`;
}

export function verifiedWithoutChecksComment(timeoutMs: number, mergeSha: string): string {
  return `${MARKER}
No check reported on the merge commit \`${mergeSha.slice(0, 7)}\` within ${formatDuration(timeoutMs)}, so agent-fleet counts this merge as verified without post-merge CI.`;
}
