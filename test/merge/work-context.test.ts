import { describe, expect, it } from "vitest";
import type { PullCheck } from "../../src/github/pull-github.js";
import { failedChecksContext, reviewContext } from "../../src/merge/work-context.js";

const check = (over: Partial<PullCheck>): PullCheck => ({
  name: "test",
  state: "failure",
  source: "check_run",
  title: "",
  summary: "",
  url: null,
  ...over,
});

describe("the fix prompt's context", () => {
  it("lists each failed check with its title, summary and link, and only failed ones", () => {
    const text = failedChecksContext([
      check({
        name: "test",
        title: "2 failed",
        summary: "sum.test.ts: expected 2",
        url: "https://ci/1",
      }),
      check({ name: "lint", state: "success", title: "ok" }),
      check({ name: "ci/legacy", source: "status", title: "build broke", summary: "build broke" }),
    ]);
    expect(text).toContain("### test (check run)");
    expect(text).toContain("**2 failed**");
    expect(text).toContain("sum.test.ts: expected 2");
    expect(text).toContain("Details: https://ci/1");
    expect(text).toContain("### ci/legacy (commit status)");
    expect(text.match(/build broke/g)).toHaveLength(1);
    expect(text).not.toContain("lint");
  });

  it("caps a huge summary", () => {
    const text = failedChecksContext([check({ summary: "x".repeat(10_000) })]);
    expect(text.length).toBeLessThan(5_000);
    expect(text).toContain("(cut at 4000 characters)");
  });

  it("carries a review's body and its inline comments", () => {
    const text = reviewContext(
      {
        id: 1,
        user: "alice",
        state: "CHANGES_REQUESTED",
        commitId: "a",
        body: "Rename it.",
        submittedAt: null,
      },
      [
        { path: "src/a.ts", line: 4, body: "call it sum" },
        { path: "README.md", line: null, body: "two\nlines" },
      ],
    );
    expect(text).toBe(
      [
        "## Changes requested by @alice",
        "",
        "Rename it.",
        "",
        "### Review comments",
        "",
        "- `src/a.ts` line 4: call it sum",
        "- `README.md`: two\n  lines",
      ].join("\n"),
    );
  });
});
