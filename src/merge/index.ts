/** The merge policy's entry points, for the webhook handlers, the runner and the app wiring. */
export { type LockedContext, type MergeDeps, policyOf } from "./context.js";
export { DeadlineSweeper } from "./deadline-sweeper.js";
export { type SweepResult, sweepDeadlines } from "./deadlines.js";
export { type EvaluationOutcome, evaluatePull } from "./evaluate.js";
export { NEEDS_REVIEW_LABEL, REVERT_LABEL } from "./messages.js";
export {
  onDefaultBranchChecks,
  type PostMergeOutcome,
  type PostMergeState,
  postMergeState,
  settleMerge,
} from "./post-merge.js";
export {
  type CheckEventFacts,
  onChecksChanged,
  onPullChanged,
  onPullClosed,
  type PullClosedFacts,
  type PullClosedOutcome,
  pullEvaluator,
  reevaluateRepo,
} from "./pull-events.js";
