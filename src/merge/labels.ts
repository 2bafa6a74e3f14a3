import { type SizeBucket, sizeLabelChanges } from "../policies/size.js";
import { NEEDS_REVIEW_LABEL } from "./messages.js";
import type { NextStep } from "./next-step.js";

/** Whether humans are being asked to look at the PR after this step. */
export function wantsHumanReview(step: NextStep): boolean {
  return (
    step.kind === "request_review" ||
    step.kind === "flag" ||
    (step.kind === "hold" && step.why === "flagged")
  );
}

/**
 * The label edits that leave exactly one current `size/*` label and `fleet:needs-review` only
 * while humans are asked to look. While a fix or rebase is under way the review label stays: the
 * new head will need the same review.
 */
export function pullLabelChanges(
  current: readonly string[],
  bucket: SizeBucket,
  step: NextStep,
): { add: string[]; remove: string[] } {
  const { add, remove } = sizeLabelChanges(current, bucket);
  const has = current.includes(NEEDS_REVIEW_LABEL);
  const wanted = wantsHumanReview(step);
  if (wanted && !has) add.push(NEEDS_REVIEW_LABEL);
  const inFlight = step.kind === "fix" || step.kind === "rebase";
  if (!wanted && has && !inFlight) remove.push(NEEDS_REVIEW_LABEL);
  return { add, remove };
}
