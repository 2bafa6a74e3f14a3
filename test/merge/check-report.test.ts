import { describe, expect, it } from "vitest";
import type { PullCheck } from "../../src/github/pull-github.js";
import { cell, policyReport } from "../../src/merge/check-report.js";
import type { NextStep } from "../../src/merge/next-step.js";
import type { ReviewStanding } from "../../src/merge/reviews.js";
import type { Decision, PolicyVerdict } from "../../src/policies/merge-decision.js";

function verdict(decision: Decision, over: Partial<PolicyVerdict> = {}): PolicyVerdict {
  return {
    decision,
    reason: `reason for ${decision}`,
    size: { lines: 42, ignoredLines: 0, files: 3, ignoredFiles: [], bucket: "M" },
    protectedTouched: [],
    missingChecks: [],
    failedChecks: [],
    reviewReason: null,
    approvedBy: [],
    ...over,
  };
}

const none: ReviewStanding = { approvedBy: [], changesRequested: [], staleApprovals: [] };
const check = (name: string, state: PullCheck["state"]): PullCheck => ({
  name,
  state,
  source: "check_run",
  title: "",
  summary: "",
  url: null,
});

function report(decision: Decision, step: NextStep, over: Partial<PolicyVerdict> = {}) {
  return policyReport({
    verdict: verdict(decision, over),
    step,
    checks: [check("test", "success")],
    standing: none,
    headSha: "abcdef1234567890",
  });
}

describe("the fleet/policy check run's conclusion", () => {
  it.each([
    ["mergeable", { kind: "merge" }, "completed", "success"],
    ["mergeable", { kind: "hold", why: "auto_merge_off", reason: "off" }, "completed", "success"],
    ["mergeable", { kind: "hold", why: "paused", reason: "paused" }, "completed", "neutral"],
    ["waiting", { kind: "wait", reason: "w" }, "in_progress", undefined],
    ["needs_review", { kind: "request_review", reason: "r" }, "completed", "action_required"],
    ["blocked", { kind: "flag", reason: "big" }, "completed", "failure"],
    ["checks_failed", { kind: "fix", source: "checks" }, "completed", "failure"],
    ["checks_failed", { kind: "flag", reason: "out of fixes" }, "completed", "failure"],
    [
      "waiting",
      { kind: "hold", why: "flagged", reason: "pending too long" },
      "completed",
      "action_required",
    ],
    ["mergeable", { kind: "rebase" }, "in_progress", undefined],
  ] as const)("%s + %j -> %s %s", (decision, step, status, conclusion) => {
    const r = report(decision, step as NextStep);
    expect(r.status).toBe(status);
    expect(r.conclusion).toBe(conclusion);
  });
});

describe("the summary", () => {
  it("is a table of size, lines counted and ignored, files, protected paths, reviews, decision and each check", () => {
    const r = policyReport({
      verdict: verdict("needs_review", {
        reason: "it changes protected paths: .github/workflows/ci.yml",
        size: {
          lines: 120,
          ignoredLines: 5000,
          files: 4,
          ignoredFiles: ["package-lock.json"],
          bucket: "L",
        },
        protectedTouched: [".github/workflows/ci.yml"],
      }),
      step: { kind: "request_review", reason: "protected" },
      checks: [check("test", "success"), check("lint|fmt", "failure"), check("e2e", "pending")],
      standing: { approvedBy: [], changesRequested: [], staleApprovals: ["alice"] },
      headSha: "abcdef1234567890",
    });
    expect(r.summary).toContain("| Decision | **needs_review** |");
    expect(r.summary).toContain(
      "| Reason | it changes protected paths: .github/workflows/ci.yml |",
    );
    expect(r.summary).toContain(
      "| Size | `size/L`: 120 lines counted, 5000 ignored in `package-lock.json` |",
    );
    expect(r.summary).toContain("| Files | 4 |");
    expect(r.summary).toContain("| Protected paths touched | `.github/workflows/ci.yml` |");
    expect(r.summary).toContain(
      "| Reviews | @alice approved an older head, which does not count for `abcdef1` |",
    );
    expect(r.summary).toContain("| test | ✅ success |");
    expect(r.summary).toContain("| lint\\|fmt | ❌ failure |");
    expect(r.summary).toContain("| e2e | ⏳ pending |");
    expect(r.title).toBe("needs review: it changes protected paths: .github/workflows/ci.yml");
  });

  it("shows approvals on the head and says so when no check reported", () => {
    const r = policyReport({
      verdict: verdict("waiting", { approvedBy: ["bob"] }),
      step: { kind: "wait", reason: "w" },
      checks: [],
      standing: { approvedBy: ["bob"], changesRequested: [], staleApprovals: [] },
      headSha: "abcdef1234567890",
    });
    expect(r.summary).toContain("| Reviews | approved on the current head by @bob |");
    expect(r.summary).toContain("| (none reported yet) | ⏳ pending |");
    expect(r.summary).toContain("| Protected paths touched | none |");
  });

  it("a hold's title says why nothing merges", () => {
    const r = report("mergeable", {
      kind: "hold",
      why: "paused",
      reason: "the repository is paused",
    });
    expect(r.title).toBe("mergeable: the repository is paused");
  });

  it("keeps table cells on one line", () => {
    expect(cell("a|b\nc")).toBe("a\\|b c");
  });
});
