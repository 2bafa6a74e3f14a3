import { describe, expect, it } from "vitest";
import { newlyTickedRetries, tickedRetries } from "../../src/dashboard-issue/checkboxes.js";

const body = (boxes: Record<number, boolean>) =>
  [
    "<!-- agent-fleet-dashboard -->",
    "## Failed (3)",
    ...Object.entries(boxes).map(
      ([id, ticked]) => `- [${ticked ? "x" : " "}] <!-- fleet-retry:${id} --> retry #${id} Title`,
    ),
  ].join("\r\n");

describe("retry checkboxes", () => {
  it("finds the ticked boxes, lower- or upper-case x, and no unticked ones", () => {
    const text = `${body({ 4: true, 5: false })}\n* [X] <!-- fleet-retry:6 --> retry #6 t`;
    expect(tickedRetries(text)).toEqual(new Set([4, 6]));
  });

  it("ignores ticked boxes that are not retry boxes, and markers not at a box", () => {
    const text = [
      "- [x] a task list item of someone's own",
      "text <!-- fleet-retry:7 --> [x]",
      "- [x] retry #8 <!-- fleet-retry:8 -->",
    ].join("\n");
    expect(tickedRetries(text)).toEqual(new Set());
  });

  it("reports only boxes that changed to ticked in this edit", () => {
    const before = body({ 1: false, 2: true, 3: false });
    const after = body({ 1: true, 2: true, 3: false });
    expect(newlyTickedRetries(before, after)).toEqual([1]);
    expect(newlyTickedRetries(after, before)).toEqual([]);
    expect(newlyTickedRetries(before, body({ 1: true, 2: false, 3: true }))).toEqual([1, 3]);
  });
});
