import { NEEDS_REVIEW_LABEL, REVERT_LABEL } from "../merge/messages.js";
import { MARKER } from "../tasks/messages.js";

// One spelling of each label for the policy and the runner.
export { NEEDS_REVIEW_LABEL, REVERT_LABEL };

function fenced(text: string): string {
  return `\`\`\`\`text\n${text.replaceAll("````", "'''")}\n\`\`\`\``;
}

export function fixPushedComment(input: { sha: string; attempt: number }): string {
  return `${MARKER}
An agent worked on the failing checks / review of this pull request (attempt ${input.attempt}) and pushed ${input.sha} to its branch. The merge policy looks at the new head again.`;
}

export function conflictResolvedComment(input: {
  sha: string;
  baseBranch: string;
  files: readonly string[];
}): string {
  const files = input.files.map((f) => `\`${f.replaceAll("`", "'")}\``).join(", ");
  return `${MARKER}
This branch did not rebase cleanly onto \`${input.baseBranch}\`. An agent resolved the conflicts in ${files} in a merge of \`${input.baseBranch}\` and pushed ${input.sha}.`;
}

/** The one comment a PR gets when the fleet hands it to humans. */
export function pullFlaggedComment(input: { reason: string; stderrTail?: string }): string {
  const tail = input.stderrTail?.trim();
  return [
    MARKER,
    `agent-fleet stopped working on this pull request and labeled it \`${NEEDS_REVIEW_LABEL}\`: ${input.reason}`,
    "",
    "It stays open for a human to finish, merge or close.",
    ...(tail
      ? [
          "",
          "<details><summary>Last lines of the last attempt's stderr</summary>",
          "",
          fenced(tail),
          "</details>",
        ]
      : []),
  ].join("\n");
}

export function revertPullBody(input: {
  issueNumber: number;
  originalPull: number | null;
  revertSha: string;
  defaultBranch: string;
  /** What failed on the default branch, as the post-merge watch recorded it. */
  failure: string | null;
}): string {
  const reverts = input.originalPull
    ? `Reverts #${input.originalPull} (merge commit ${input.revertSha}).`
    : `Reverts commit ${input.revertSha}.`;
  return [
    reverts,
    "",
    `The checks on \`${input.defaultBranch}\` failed after that merge (made for #${input.issueNumber}), so agent-fleet reverts it with \`git revert\` and has paused dispatching in this repository until a maintainer comments \`/fleet resume\`.`,
    ...(input.failure?.trim() ? ["", "### What failed", "", input.failure.trim()] : []),
    "",
    "<sub>Opened by agent-fleet.</sub>",
  ].join("\n");
}

export function revertOpenedComment(input: { prUrl: string; revertSha: string }): string {
  return `${MARKER}
The merge ${input.revertSha} broke the checks on the default branch. agent-fleet opened ${input.prUrl} to revert it.`;
}

export function revertFailedComment(input: {
  revertSha: string;
  conflicts: readonly string[];
}): string {
  const files = input.conflicts.map((f) => `- \`${f.replaceAll("`", "'")}\``).join("\n");
  return `${MARKER}
agent-fleet could not revert ${input.revertSha}: \`git revert\` conflicts with later commits in

${files}

The repository stays paused. Revert the change by hand, then comment \`/fleet resume\`.`;
}
