import { describe, expect, it } from "vitest";
import type { JournalEntry } from "../../src/sim/journal.js";
import { buildReport, type ReportFacts } from "../../src/sim/report.js";
import { parseScenario } from "../../src/sim/scenario.js";

const scenario = parseScenario(`
name: r
repos: [ { slug: a/b } ]
issues:
  - { repo: a/b, number: 1, title: one }
  - { repo: a/b, number: 2, title: two }
  - { repo: a/b, number: 3, title: three }
`);

const start = (key: string, pid: number): JournalEntry => ({
  event: "start",
  key,
  pid,
  at: pid,
  attempt: 1,
});

function facts(overrides: Partial<ReportFacts>): ReportFacts {
  return {
    scenario,
    speed: 1,
    wallTimeMs: 10,
    journal: [],
    tasks: new Map(),
    refused: new Set(),
    pulls: new Map(),
    branches: new Map(),
    comments: new Map(),
    apiCalls: { total: 0, invalid: 0, byRoute: {} },
    webhookStatuses: [],
    ...overrides,
  };
}

describe("the simulation report", () => {
  it("counts dispatches from the journal, and every extra start as a duplicate", () => {
    const report = buildReport(
      facts({
        journal: [
          start("a/b#1", 1),
          start("a/b#1", 2),
          start("a/b#2", 3),
          { ...start("a/b#2", 3), event: "end" },
        ],
        tasks: new Map([["a/b#1", { state: "pr_open", prNumber: 9 }]]),
        pulls: new Map([
          ["a/b", [{ number: 9, head: "fleet/1-one", body: "Closes #1\n", files: ["x"] }]],
        ]),
        refused: new Set(["a/b#3"]),
      }),
    );
    expect(report.issues.map((i) => [i.number, i.dispatches, i.outcome])).toEqual([
      [1, 2, "pr_open"],
      [2, 1, "ignored"],
      [3, 0, "refused"],
    ]);
    expect(report.totals).toMatchObject({
      dispatches: 3,
      duplicateDispatches: 1,
      prsOpened: 1,
      refused: 1,
    });
    expect(report.issues[0]?.pr).toEqual({
      number: 9,
      branch: "fleet/1-one",
      closesIssue: true,
      files: ["x"],
    });
  });

  it("does not mistake a reference to another issue for a closing keyword", () => {
    const report = buildReport(
      facts({
        tasks: new Map([["a/b#1", { state: "pr_open", prNumber: 9 }]]),
        pulls: new Map([
          ["a/b", [{ number: 9, head: "fleet/1-one", body: "Closes #12", files: [] }]],
        ]),
      }),
    );
    expect(report.issues[0]?.pr?.closesIssue).toBe(false);
  });
});
