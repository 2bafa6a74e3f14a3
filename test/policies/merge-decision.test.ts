import { describe, expect, it } from "vitest";
import { type PolicyConfig, parseFleetConfig } from "../../src/config/fleet-config.js";
import { type CheckState, decideMerge, type PullFacts } from "../../src/policies/merge-decision.js";

function policy(overrides: Record<string, unknown> = {}): PolicyConfig {
  const parsed = parseFleetConfig({ policy: overrides });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.config.policy;
}

const lines = (n: number, name = "src/a.ts") => ({ filename: name, additions: n, deletions: 0 });
const many = (count: number) => Array.from({ length: count }, (_, i) => lines(1, `src/f${i}.ts`));
const green: PullFacts["checks"] = [{ name: "test", state: "success" }];

function facts(over: Partial<PullFacts>): PullFacts {
  return { files: [lines(5)], generated: [], codeowners: [], checks: green, ...over };
}

describe("the merge decision: the first rule that applies", () => {
  it.each([
    ["small, green", {}, {}, "mergeable"],
    ["over the line ceiling", {}, { files: [lines(1001)] }, "blocked"],
    ["over the file ceiling", {}, { files: many(51) }, "blocked"],
    [
      "blocked beats a failed check",
      {},
      { files: [lines(1500)], checks: [{ name: "test", state: "failure" as CheckState }] },
      "blocked",
    ],
    ["over the review lines", {}, { files: [lines(301)] }, "needs_review"],
    ["over the review files", {}, { files: many(16) }, "needs_review"],
    ["a workflow file", {}, { files: [lines(2, ".github/workflows/ci.yml")] }, "needs_review"],
    ["a migration", {}, { files: [lines(2, "db/migrations/0002.sql")] }, "needs_review"],
    [
      "a CODEOWNERS path, when configured",
      { codeownersProtected: true },
      { files: [lines(2, "billing/x.ts")], codeowners: ["billing/**"] },
      "needs_review",
    ],
    [
      "a CODEOWNERS path, when not configured",
      {},
      { files: [lines(2, "billing/x.ts")], codeowners: ["billing/**"] },
      "mergeable",
    ],
    [
      "a check still pending",
      {},
      { checks: [{ name: "test", state: "pending" as CheckState }] },
      "waiting",
    ],
    ["no check reported yet", {}, { checks: [] }, "waiting"],
    ["no checks required, none reported", { requiredChecks: [] }, { checks: [] }, "mergeable"],
    ["a named required check missing", { requiredChecks: ["build"] }, {}, "waiting"],
    [
      "a failed check",
      {},
      {
        checks: [
          { name: "test", state: "failure" as CheckState },
          { name: "lint", state: "success" as CheckState },
        ],
      },
      "checks_failed",
    ],
    [
      "a failing check that is not required",
      { requiredChecks: ["test"] },
      {
        checks: [
          { name: "test", state: "success" as CheckState },
          { name: "flaky", state: "failure" as CheckState },
        ],
      },
      "mergeable",
    ],
    [
      "neutral and skipped count as passing",
      {},
      {
        checks: [
          { name: "a", state: "neutral" as CheckState },
          { name: "b", state: "skipped" as CheckState },
        ],
      },
      "mergeable",
    ],
    [
      "a huge lock file does not count",
      {},
      { files: [lines(5), lines(50_000, "package-lock.json")] },
      "mergeable",
    ],
  ] as const)("%s -> %s", (_name, policyOverrides, factOverrides, decision) => {
    const verdict = decideMerge(
      policy(policyOverrides),
      facts(factOverrides as Partial<PullFacts>),
    );
    expect(verdict.decision).toBe(decision);
    expect(verdict.reason.length).toBeGreaterThan(10);
  });

  it("says which protected paths and checks it looked at", () => {
    const verdict = decideMerge(
      policy(),
      facts({
        files: [lines(2, ".github/fleet.yml"), lines(1)],
        checks: [{ name: "test", state: "pending" }],
      }),
    );
    expect(verdict).toMatchObject({
      decision: "needs_review",
      protectedTouched: [".github/fleet.yml"],
      missingChecks: ["test"],
    });
    expect(verdict.reason).toContain(".github/fleet.yml");
  });
});

describe("reviews and renames", () => {
  it.each([
    [
      "a writer's approval lifts the review rule",
      { files: [lines(400)], approvedBy: ["alice"] },
      "mergeable",
    ],
    [
      "approval does not lift a failed check",
      {
        files: [lines(400)],
        approvedBy: ["alice"],
        checks: [{ name: "test", state: "failure" as CheckState }],
      },
      "checks_failed",
    ],
    [
      "approval does not lift a pending check",
      {
        files: [lines(2, ".github/workflows/ci.yml")],
        approvedBy: ["alice"],
        checks: [{ name: "test", state: "pending" as CheckState }],
      },
      "waiting",
    ],
    [
      "approval does not lift the ceiling",
      { files: [lines(1500)], approvedBy: ["alice"] },
      "blocked",
    ],
    [
      "moving a file out of a protected path touches it",
      { files: [lines(1, "ci.yml")], previousFilenames: [".github/workflows/ci.yml"] },
      "needs_review",
    ],
  ] as const)("%s -> %s", (_name, factOverrides, decision) => {
    expect(decideMerge(policy(), facts(factOverrides as Partial<PullFacts>)).decision).toBe(
      decision,
    );
  });

  it("keeps the review reason and the approvers on the verdict", () => {
    const verdict = decideMerge(policy(), facts({ files: [lines(400)], approvedBy: ["alice"] }));
    expect(verdict.reviewReason).toContain("400 changed lines");
    expect(verdict.approvedBy).toEqual(["alice"]);
    expect(verdict.reason).toContain("approved by @alice");
    expect(decideMerge(policy(), facts({})).reviewReason).toBeNull();
  });
});
