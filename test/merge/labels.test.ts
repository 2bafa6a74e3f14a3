import { describe, expect, it } from "vitest";
import { pullLabelChanges } from "../../src/merge/labels.js";
import type { NextStep } from "../../src/merge/next-step.js";

const merge: NextStep = { kind: "merge" };
const review: NextStep = { kind: "request_review", reason: "big" };
const fix: NextStep = { kind: "fix", source: "checks" };
const flagged: NextStep = { kind: "hold", why: "flagged", reason: "x" };

describe("PR labels", () => {
  it.each([
    ["adds the size label", [], "S", merge, ["size/S"], []],
    ["keeps a current size label", ["size/S", "bug"], "S", merge, [], []],
    [
      "replaces stale size labels",
      ["size/XS", "size/L", "bug"],
      "M",
      merge,
      ["size/M"],
      ["size/XS", "size/L"],
    ],
    [
      "adds the review label when a review is asked",
      ["size/L"],
      "L",
      review,
      ["fleet:needs-review"],
      [],
    ],
    ["keeps it while flagged", ["size/L", "fleet:needs-review"], "L", flagged, [], []],
    [
      "removes it once the PR goes ahead",
      ["size/L", "fleet:needs-review"],
      "L",
      merge,
      [],
      ["fleet:needs-review"],
    ],
    ["keeps it during a fix", ["size/L", "fleet:needs-review"], "L", fix, [], []],
  ] as const)("%s", (_name, current, bucket, step, add, remove) => {
    expect(pullLabelChanges(current, bucket, step)).toEqual({ add, remove });
  });
});
