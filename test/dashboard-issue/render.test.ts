import { describe, expect, it } from "vitest";
import { tickedRetries } from "../../src/dashboard-issue/checkboxes.js";
import {
  DASHBOARD_MARKER,
  type DashboardTask,
  type DashboardView,
  inlineText,
  MAX_ROWS_PER_SECTION,
  renderDashboard,
} from "../../src/dashboard-issue/render.js";

const empty: DashboardView = {
  repoFullName: "octo/repo",
  paused: null,
  configError: null,
  awaitingReview: [],
  failed: [],
  running: [],
  queued: [],
  openPulls: [],
  reverted: [],
};

function task(overrides: Partial<DashboardTask> = {}): DashboardTask {
  return {
    taskId: 1,
    kind: "issue",
    issue: 7,
    title: "Fix the login page",
    state: "queued",
    pr: null,
    attempt: 0,
    note: null,
    runAfter: null,
    ...overrides,
  };
}

/** The lines of one `## heading` section, without the heading. */
function sectionOf(body: string, heading: string): string[] {
  const start = body.split("\n").findIndex((l) => l.startsWith(`## ${heading} (`));
  if (start < 0) return [];
  const rest = body.split("\n").slice(start + 1);
  const end = rest.findIndex((l) => l.startsWith("## "));
  return (end < 0 ? rest : rest.slice(0, end)).filter((l) => l.trim() !== "");
}

describe("renderDashboard", () => {
  it("says nothing is in flight when every section is empty, and shows no banner", () => {
    const body = renderDashboard(empty);
    expect(body.startsWith(`${DASHBOARD_MARKER}\n`)).toBe(true);
    expect(body).toContain("Nothing in flight");
    expect(body).not.toContain("## ");
    expect(body).not.toContain("[!WARNING]");
    expect(body).not.toContain("[!CAUTION]");
  });

  it("shows each section with its count and a #link per line", () => {
    const body = renderDashboard({
      ...empty,
      awaitingReview: [
        task({ taskId: 1, issue: 1, state: "needs_review", pr: 11, note: "412 lines changed" }),
      ],
      failed: [task({ taskId: 2, issue: 2, state: "failed", attempt: 3, note: "agent crashed" })],
      running: [task({ taskId: 3, issue: 3, state: "running", attempt: 2 })],
      queued: [
        task({ taskId: 4, issue: 4 }),
        task({
          taskId: 5,
          issue: 5,
          state: "retry_wait",
          runAfter: new Date("2030-01-02T03:04:00Z"),
        }),
      ],
      openPulls: [task({ taskId: 6, issue: 6, state: "merging", pr: 16 })],
      reverted: [
        task({ taskId: 7, issue: 8, state: "reverted", pr: 18, note: "undone by PR #19" }),
      ],
    });
    expect(sectionOf(body, "Awaiting review")).toEqual([
      "- #1 Fix the login page — PR #11: 412 lines changed",
    ]);
    expect(sectionOf(body, "Failed")).toEqual([
      expect.stringContaining("Tick a box"),
      "- [ ] <!-- fleet-retry:2 --> retry #2 Fix the login page (3 attempts): agent crashed",
    ]);
    expect(sectionOf(body, "Running")).toEqual(["- #3 Fix the login page (attempt 2)"]);
    expect(sectionOf(body, "Queued")).toEqual([
      "- #4 Fix the login page",
      "- #5 Fix the login page (retry after 2030-01-02 03:04 UTC)",
    ]);
    expect(sectionOf(body, "Open pull requests")).toEqual([
      "- #6 Fix the login page — PR #16 (merging)",
    ]);
    expect(sectionOf(body, "Recently reverted")).toEqual([
      "- #8 Fix the login page — PR #18: undone by PR #19",
    ]);
    expect(body).toContain("## Queued (2)");
    expect(body).not.toContain("Nothing in flight");
  });

  it("marks a revert task as such", () => {
    const body = renderDashboard({
      ...empty,
      running: [task({ kind: "revert", issue: 9, title: "Add caching", state: "running" })],
    });
    expect(sectionOf(body, "Running")).toEqual(["- #9 revert: Add caching (attempt 0)"]);
  });

  it("shows the paused banner with its reason and how to resume", () => {
    const body = renderDashboard({
      ...empty,
      paused: { since: new Date("2030-05-06T07:08:09Z"), reason: "CI failed on abc123 after #12" },
    });
    expect(body).toContain("> [!WARNING]");
    expect(body).toContain("**Paused** since 2030-05-06 07:08 UTC: CI failed on abc123 after #12.");
    expect(body).toContain("`/fleet resume`");
  });

  it("shows the invalid fleet.yml banner with the configuration error issue", () => {
    const body = renderDashboard({ ...empty, configError: { problems: 2, issue: 31 } });
    expect(body).toContain("> [!CAUTION]");
    expect(body).toContain("(2 problems) (see #31)");
    const single = renderDashboard({ ...empty, configError: { problems: 1, issue: null } });
    expect(single).toContain("(1 problem).");
    expect(single).not.toContain("(see #");
  });

  it("escapes titles: no markup, no forged retry box, no @mention, one line", () => {
    const title =
      "Fix *bold* _x_ `code` | [link](http://x) <b>html</b>\n- [x] <!-- fleet-retry:99 --> @alice & ~y~";
    const body = renderDashboard({
      ...empty,
      failed: [task({ taskId: 5, issue: 5, state: "failed", attempt: 1, title })],
      queued: [task({ taskId: 6, issue: 6, title })],
    });
    expect(tickedRetries(body)).toEqual(new Set());
    expect(body).not.toContain("<!-- fleet-retry:99");
    expect(body).not.toContain("<b>");
    expect(body).not.toContain("@alice");
    expect(body).toContain("@&#8203;alice");
    expect(sectionOf(body, "Queued")).toEqual([
      "- #6 Fix \\*bold\\* \\_x\\_ \\`code\\` \\| \\[link\\](http://x) &lt;b&gt;html&lt;/b&gt; - \\[x\\] &lt;!-- fleet-retry:99 --&gt; @&#8203;alice &amp; \\~y\\~",
    ]);
    const failedLine = sectionOf(body, "Failed")[1];
    expect(failedLine?.startsWith("- [ ] <!-- fleet-retry:5 --> retry #5 Fix \\*bold\\*")).toBe(
      true,
    );
  });

  it("shortens long notes and cuts long sections", () => {
    expect(inlineText("x".repeat(500)).length).toBe(200);
    const many = Array.from({ length: MAX_ROWS_PER_SECTION + 3 }, (_, i) =>
      task({ taskId: i + 1, issue: i + 1 }),
    );
    const lines = sectionOf(renderDashboard({ ...empty, queued: many }), "Queued");
    expect(lines).toHaveLength(MAX_ROWS_PER_SECTION + 1);
    expect(lines.at(-1)).toBe("- …and 3 more");
  });

  it("gives the same text for the same view", () => {
    const view = { ...empty, queued: [task()] };
    expect(renderDashboard(view)).toBe(renderDashboard(structuredClone(view)));
  });
});
