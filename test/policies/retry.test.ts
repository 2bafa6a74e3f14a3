import { describe, expect, it } from "vitest";
import { type AttemptOutcome, decideRetry } from "../../src/policies/retry.js";

const base = { attemptBase: 0, maxAttempts: 3, initialMs: 10_000, maxMs: 300_000 };

describe("retry policy", () => {
  it.each([
    ["crashed", 1, { kind: "retry", delayMs: 10_000 }],
    ["stalled", 2, { kind: "retry", delayMs: 20_000 }],
    ["timed_out", 3, { kind: "give_up" }],
    ["lost", 1, { kind: "retry", delayMs: 10_000 }],
    ["succeeded", 1, { kind: "give_up" }],
    ["no_changes", 1, { kind: "give_up" }],
    ["runner_error", 1, { kind: "retry", delayMs: 10_000 }],
    ["cancelled", 1, { kind: "give_up" }],
  ] as const)("%s after attempt %i -> %j", (outcome, attempt, decision) => {
    expect(decideRetry({ ...base, outcome: outcome as AttemptOutcome, attempt })).toEqual(decision);
  });

  it("caps the backoff at max", () => {
    const decision = decideRetry({ ...base, maxAttempts: 20, outcome: "crashed", attempt: 9 });
    expect(decision).toEqual({ kind: "retry", delayMs: 300_000 });
  });

  it("counts the budget from the last human retry", () => {
    expect(decideRetry({ ...base, attemptBase: 3, outcome: "crashed", attempt: 4 })).toEqual({
      kind: "retry",
      delayMs: 10_000,
    });
    expect(decideRetry({ ...base, attemptBase: 3, outcome: "crashed", attempt: 6 })).toEqual({
      kind: "give_up",
    });
  });
});
