import type { PolicyConfig } from "../config/fleet-config.js";
import { type ChangedFile, matcher, measurePull, type PullSize } from "./size.js";

export type CheckState = "pending" | "success" | "failure" | "neutral" | "skipped";

/** Everything the merge decision looks at, gathered by the caller: no I/O in here. */
export interface PullFacts {
  files: readonly ChangedFile[];
  /** Patterns `.gitattributes` marks linguist-generated. */
  generated: readonly string[];
  /** Paths CODEOWNERS assigns (globs), used when `codeownersProtected` is set. */
  codeowners: readonly string[];
  /** Check runs and commit statuses on the head, by name. */
  checks: ReadonlyArray<{ name: string; state: CheckState }>;
  /** Users with write access whose approval is on the current head (older heads do not count). */
  approvedBy?: readonly string[];
  /** Where renamed files came from: moving a file out of a protected path touches it too. */
  previousFilenames?: readonly string[];
}

export type Decision = "blocked" | "needs_review" | "waiting" | "checks_failed" | "mergeable";

export interface PolicyVerdict {
  decision: Decision;
  reason: string;
  size: PullSize;
  protectedTouched: string[];
  /** Required checks that have not reported yet, and those that failed. */
  missingChecks: string[];
  failedChecks: string[];
  /** Why a human must review, whether or not someone already approved; null when none must. */
  reviewReason: string | null;
  /** Writers who approved the current head. */
  approvedBy: string[];
}

/** The merge policy: the first rule that applies decides, and says why in plain words. */
export function decideMerge(policy: PolicyConfig, facts: PullFacts): PolicyVerdict {
  const size = measurePull(facts.files, policy.ignore, facts.generated);
  const isProtected = matcher([
    ...policy.protectedPaths,
    ...(policy.codeownersProtected ? facts.codeowners : []),
  ]);
  const touched = [...facts.files.map((f) => f.filename), ...(facts.previousFilenames ?? [])];
  const protectedTouched = [...new Set(touched.filter(isProtected))];
  const approvedBy = [...(facts.approvedBy ?? [])];

  const required =
    policy.requiredChecks === "all"
      ? facts.checks
      : policy.requiredChecks.map(
          (name) =>
            facts.checks.find((c) => c.name === name) ?? { name, state: "pending" as const },
        );
  const failedChecks = required.filter((c) => c.state === "failure").map((c) => c.name);
  const missingChecks = required.filter((c) => c.state === "pending").map((c) => c.name);
  const reviewReason = needsReview(policy, size, protectedTouched);
  const verdict = (decision: Decision, reason: string): PolicyVerdict => ({
    decision,
    reason,
    size,
    protectedTouched,
    missingChecks,
    failedChecks,
    reviewReason,
    approvedBy,
  });

  if (size.lines > policy.maxLines) {
    return verdict(
      "blocked",
      `${size.lines} changed lines is above the ceiling of ${policy.maxLines}; split the work or a human decides`,
    );
  }
  if (size.files > policy.maxFiles) {
    return verdict(
      "blocked",
      `${size.files} changed files is above the ceiling of ${policy.maxFiles}; split the work or a human decides`,
    );
  }
  if (reviewReason && approvedBy.length === 0) return verdict("needs_review", reviewReason);
  // Approved on the current head: the review rules are met, the checks still decide.
  const approved = reviewReason ? `approved by ${approvedBy.map((u) => `@${u}`).join(", ")}; ` : "";
  if (missingChecks.length > 0) {
    return verdict("waiting", `${approved}waiting for ${missingChecks.join(", ")}`);
  }
  if (policy.requiredChecks === "all" && required.length === 0) {
    // "all" with nothing reported yet: CI may simply not have started, so do not merge blind.
    // An explicit empty list is a repo without CI saying so.
    return verdict("waiting", `${approved}no check has reported on the head yet`);
  }
  if (failedChecks.length > 0) {
    return verdict("checks_failed", `${approved}failed: ${failedChecks.join(", ")}`);
  }
  return verdict(
    "mergeable",
    approved
      ? `${approved}the required checks passed`
      : "within every limit, and the required checks passed",
  );
}

/** The first review threshold the PR crosses, in plain words; null when none. */
function needsReview(
  policy: PolicyConfig,
  size: PullSize,
  protectedTouched: readonly string[],
): string | null {
  if (size.lines > policy.review.lines) {
    return `${size.lines} changed lines is above the review threshold of ${policy.review.lines}`;
  }
  if (size.files > policy.review.files) {
    return `${size.files} changed files is above the review threshold of ${policy.review.files}`;
  }
  if (protectedTouched.length > 0) {
    return `it changes protected paths: ${protectedTouched.join(", ")}`;
  }
  return null;
}
