import type { PullReview } from "../github/pull-github.js";
import type { PolicyVerdict } from "../policies/merge-decision.js";

/** What the evaluator does after judging the PR: exactly one of these. */
export type NextStep =
  /** Humans were asked to take over for this head; only an approval reopens it. */
  | { kind: "hold"; why: "flagged"; reason: string }
  | { kind: "hold"; why: "paused" | "auto_merge_off"; reason: string }
  | { kind: "flag"; reason: string }
  | { kind: "fix"; source: "checks" }
  | { kind: "fix"; source: "review"; review: PullReview }
  | { kind: "rebase" }
  | { kind: "request_review"; reason: string }
  | { kind: "wait"; reason: string }
  | { kind: "merge" };

export interface NextStepInput {
  verdict: PolicyVerdict;
  /** Writers' reviews requesting changes on the current head. */
  changesRequested: readonly PullReview[];
  /** The PR's mergeability: false is a conflict with the base, null not known yet. */
  mergeable: boolean | null;
  /** The reason the task was flagged on this same head, if it was. */
  flaggedReason: string | null;
  fixAttempts: number;
  maxFixAttempts: number;
  /** Why no agent may fix this PR at all (e.g. it is a revert); null when fixes are allowed. */
  fixesOff: string | null;
  /** A rebase was already queued for this head and it still conflicts. */
  rebaseTriedOnHead: boolean;
  autoMerge: boolean;
  paused: boolean;
}

const attempts = (n: number) => `${n} fix attempt${n === 1 ? "" : "s"}`;

/** The one step to take, the first rule that applies: pure, so every path is table-tested. */
export function chooseNextStep(input: NextStepInput): NextStep {
  const { verdict } = input;
  const fixesLeft = input.fixesOff === null && input.fixAttempts < input.maxFixAttempts;
  if (input.flaggedReason !== null && verdict.approvedBy.length === 0) {
    return { kind: "hold", why: "flagged", reason: input.flaggedReason };
  }
  if (verdict.decision === "blocked") return { kind: "flag", reason: verdict.reason };

  const review = input.changesRequested[0];
  if (review) {
    if (fixesLeft) return { kind: "fix", source: "review", review };
    return {
      kind: "flag",
      reason: `@${review.user} requested changes and ${input.fixesOff ?? `the ${attempts(input.maxFixAttempts)} are used up`}`,
    };
  }
  if (input.mergeable === false) {
    if (!input.rebaseTriedOnHead) return { kind: "rebase" };
    return { kind: "flag", reason: "the branch conflicts with the base and a rebase did not help" };
  }
  switch (verdict.decision) {
    case "needs_review":
      return { kind: "request_review", reason: verdict.reason };
    case "waiting":
      return { kind: "wait", reason: verdict.reason };
    case "checks_failed":
      if (fixesLeft) return { kind: "fix", source: "checks" };
      return {
        kind: "flag",
        reason: input.fixesOff
          ? `${verdict.reason}; ${input.fixesOff}`
          : input.maxFixAttempts === 0
            ? `${verdict.reason}; automatic fixes are off (policy.maxFixAttempts is 0)`
            : `${verdict.reason}, still, after ${attempts(input.fixAttempts)}`,
      };
    case "mergeable":
      if (input.paused) {
        return {
          kind: "hold",
          why: "paused",
          reason: "the repository is paused after a red default branch; `/fleet resume` lifts it",
        };
      }
      if (!input.autoMerge) {
        return { kind: "hold", why: "auto_merge_off", reason: "policy.autoMerge is off" };
      }
      return { kind: "merge" };
  }
}
