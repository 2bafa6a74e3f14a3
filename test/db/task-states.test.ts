import { describe, expect, it } from "vitest";
import {
  ACTIVE_STATES,
  assertTransition,
  canTransition,
  statesLeadingTo,
  TASK_STATES,
  type TaskState,
  TERMINAL_STATES,
  TRANSITIONS,
} from "../../src/db/task-states.js";

const allowed: [TaskState, TaskState][] = [
  ["queued", "running"],
  ["queued", "cancelled"],
  ["queued", "failed"],
  ["running", "pr_open"],
  ["running", "needs_review"],
  ["running", "no_changes"],
  ["running", "retry_wait"],
  ["running", "queued"],
  ["running", "failed"],
  ["running", "cancelled"],
  ["retry_wait", "queued"],
  ["retry_wait", "cancelled"],
  ["retry_wait", "failed"],
  ["pr_open", "needs_review"],
  ["pr_open", "merging"],
  ["pr_open", "merged"],
  ["pr_open", "queued"],
  ["pr_open", "failed"],
  ["pr_open", "cancelled"],
  ["needs_review", "merging"],
  ["needs_review", "pr_open"],
  ["needs_review", "merged"],
  ["needs_review", "queued"],
  ["needs_review", "failed"],
  ["needs_review", "cancelled"],
  ["merging", "merged"],
  ["merging", "needs_review"],
  ["merging", "pr_open"],
  ["merging", "queued"],
  ["merging", "failed"],
  ["merging", "cancelled"],
  ["merged", "verified"],
  ["merged", "reverted"],
  ["failed", "queued"],
];
const key = (from: TaskState, to: TaskState) => `${from}->${to}`;
const allowedKeys = new Set(allowed.map(([from, to]) => key(from, to)));

describe("task state machine", () => {
  it.each(allowed)("allows %s -> %s", (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(() => assertTransition(from, to)).not.toThrow();
  });

  const forbidden = TASK_STATES.flatMap((from) =>
    TASK_STATES.filter((to) => !allowedKeys.has(key(from, to))).map((to) => [from, to] as const),
  );

  it.each(forbidden)("forbids %s -> %s", (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    expect(() => assertTransition(from, to)).toThrow(`${from} -> ${to}`);
  });

  it("has exactly the listed transitions", () => {
    const table = Object.entries(TRANSITIONS).flatMap(([from, tos]) =>
      tos.map((to) => key(from as TaskState, to)),
    );
    expect(new Set(table)).toEqual(allowedKeys);
    expect(forbidden.length + allowed.length).toBe(TASK_STATES.length ** 2);
  });

  it("names the terminal states and the active ones", () => {
    expect([...TERMINAL_STATES].sort()).toEqual([
      "cancelled",
      "no_changes",
      "reverted",
      "verified",
    ]);
    expect([...ACTIVE_STATES].sort()).toEqual(
      ["merging", "needs_review", "pr_open", "queued", "retry_wait", "running"].sort(),
    );
    // A terminal state never holds the active slot.
    for (const state of TERMINAL_STATES) expect(ACTIVE_STATES).not.toContain(state);
  });

  it("lists the states that lead to a target", () => {
    expect(statesLeadingTo("queued").sort()).toEqual([
      "failed",
      "merging",
      "needs_review",
      "pr_open",
      "retry_wait",
      "running",
    ]);
    expect(statesLeadingTo("running")).toEqual(["queued"]);
    expect(statesLeadingTo("verified")).toEqual(["merged"]);
  });
});
