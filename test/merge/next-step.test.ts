import { describe, expect, it } from "vitest";
import type { PullReview } from "../../src/github/pull-github.js";
import { chooseNextStep, type NextStepInput } from "../../src/merge/next-step.js";
import type { Decision, PolicyVerdict } from "../../src/policies/merge-decision.js";

function verdict(decision: Decision, over: Partial<PolicyVerdict> = {}): PolicyVerdict {
  return {
    decision,
    reason: `because ${decision}`,
    size: { lines: 5, ignoredLines: 0, files: 1, ignoredFiles: [], bucket: "XS" },
    protectedTouched: [],
    missingChecks: [],
    failedChecks: decision === "checks_failed" ? ["test"] : [],
    reviewReason: null,
    approvedBy: [],
    ...over,
  };
}

const review: PullReview = {
  id: 1,
  user: "alice",
  state: "CHANGES_REQUESTED",
  commitId: "a1",
  body: "rename it",
  submittedAt: null,
};

function input(decision: Decision, over: Partial<NextStepInput> = {}): NextStepInput {
  return {
    verdict: verdict(decision),
    changesRequested: [],
    mergeable: true,
    flaggedReason: null,
    fixAttempts: 0,
    maxFixAttempts: 2,
    fixesOff: null,
    rebaseTriedOnHead: false,
    autoMerge: true,
    paused: false,
    ...over,
  };
}

describe("the next step: the first rule that applies", () => {
  it.each([
    ["mergeable", input("mergeable"), "merge"],
    ["mergeable, paused", input("mergeable", { paused: true }), "hold"],
    ["mergeable, auto-merge off", input("mergeable", { autoMerge: false }), "hold"],
    ["mergeable, mergeability unknown yet", input("mergeable", { mergeable: null }), "merge"],
    ["waiting", input("waiting"), "wait"],
    ["needs review", input("needs_review"), "request_review"],
    ["blocked", input("blocked"), "flag"],
    ["checks failed, budget left", input("checks_failed", { fixAttempts: 1 }), "fix"],
    ["checks failed, budget used", input("checks_failed", { fixAttempts: 2 }), "flag"],
    ["checks failed, fixes off", input("checks_failed", { maxFixAttempts: 0 }), "flag"],
    ["checks failed on a revert", input("checks_failed", { fixesOff: "a revert" }), "flag"],
    ["changes requested", input("mergeable", { changesRequested: [review] }), "fix"],
    [
      "changes requested, budget used",
      input("mergeable", { changesRequested: [review], fixAttempts: 2 }),
      "flag",
    ],
    [
      "changes requested beat needs review",
      input("needs_review", { changesRequested: [review] }),
      "fix",
    ],
    ["blocked beats changes requested", input("blocked", { changesRequested: [review] }), "flag"],
    ["a conflict", input("mergeable", { mergeable: false }), "rebase"],
    ["a conflict beats waiting", input("waiting", { mergeable: false }), "rebase"],
    [
      "a conflict a rebase did not fix",
      input("mergeable", { mergeable: false, rebaseTriedOnHead: true }),
      "flag",
    ],
    ["flagged on this head", input("mergeable", { flaggedReason: "pending too long" }), "hold"],
    [
      "flagged, then approved on this head",
      input("mergeable", {
        flaggedReason: "pending too long",
        verdict: verdict("mergeable", { approvedBy: ["alice"] }),
      }),
      "merge",
    ],
  ] as const)("%s -> %s", (_name, given, kind) => {
    expect(chooseNextStep(given).kind).toBe(kind);
  });

  it("says why in plain words", () => {
    expect(chooseNextStep(input("checks_failed", { fixAttempts: 2 }))).toEqual({
      kind: "flag",
      reason: "because checks_failed, still, after 2 fix attempts",
    });
    expect(chooseNextStep(input("mergeable", { paused: true }))).toMatchObject({
      kind: "hold",
      why: "paused",
      reason: expect.stringContaining("/fleet resume"),
    });
    expect(chooseNextStep(input("mergeable", { changesRequested: [review] }))).toEqual({
      kind: "fix",
      source: "review",
      review,
    });
    expect(
      chooseNextStep(input("mergeable", { changesRequested: [review], fixAttempts: 2 })),
    ).toEqual({
      kind: "flag",
      reason: "@alice requested changes and the 2 fix attempts are used up",
    });
  });
});
