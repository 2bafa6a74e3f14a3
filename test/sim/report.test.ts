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
  - { repo: a/b, number: 4, title: four }
`);

const start = (key: string, pid: number, at = pid): JournalEntry => ({
  event: "start",
  key,
  pid,
  at,
  attempt: 1,
  behavior: "succeed",
});
const end = (key: string, pid: number, at: number): JournalEntry => ({
  event: "end",
  key,
  pid,
  at,
  attempt: 1,
  code: 0,
  reason: "exit",
});

type PullFact = NonNullable<ReturnType<ReportFacts["pulls"]["get"]>>[number];

const UNMERGED = { merged: false, mergedAt: null, labels: [] as string[], checks: {} };

function facts(overrides: Partial<ReportFacts>): ReportFacts {
  return {
    scenario,
    speed: 1,
    wallTimeMs: 10,
    settled: true,
    journal: [],
    deaths: new Map(),
    isAlive: () => false,
    timelineStart: 0,
    endedAt: 1_000,
    tasks: new Map(),
    attempts: new Map(),
    followUps: new Map(),
    adopted: 0,
    refused: new Set(),
    cancelledAt: new Map(),
    outages: [],
    leaseTtlMs: 60_000,
    pulls: new Map(),
    branches: new Map(),
    comments: new Map(),
    labels: new Map(),
    leakedWorktrees: 0,
    idle: [],
    apiCalls: { total: 0, invalid: 0, byRoute: {} },
    webhookStatuses: [],
    pausedRepos: 0,
    badCommitsOnDefault: 0,
    fleetIssues: [],
    pauses: [],
    ...overrides,
  };
}

describe("the simulation report", () => {
  it("counts dispatches from the journal, and a start beside a live agent as a duplicate", () => {
    const report = buildReport(
      facts({
        // #1: the first agent is still alive when the second starts. #2: one clean run.
        journal: [
          start("a/b#1", 1, 10),
          start("a/b#1", 2, 20),
          end("a/b#1", 1, 30),
          end("a/b#1", 2, 40),
          start("a/b#2", 3, 50),
          end("a/b#2", 3, 60),
        ],
        tasks: new Map([
          ["a/b#1", { state: "pr_open", prNumber: 9, decision: null, flaggedReason: null }],
        ]),
        pulls: new Map([
          [
            "a/b",
            [{ number: 9, head: "fleet/1-one", body: "Closes #1\n", files: ["x"], ...UNMERGED }],
          ],
        ]),
        refused: new Set(["a/b#3"]),
      }),
    );
    expect(report.issues.map((i) => [i.number, i.dispatches, i.outcome])).toEqual([
      [1, 2, "pr_open"],
      [2, 1, "ignored"],
      [3, 0, "refused"],
      [4, 0, "ignored"],
    ]);
    expect(report.totals).toMatchObject({
      dispatches: 3,
      duplicateDispatches: 1,
      prsOpened: 1,
      refused: 1,
    });
    expect(report.anomalies.duplicates).toEqual([
      { key: "a/b#1", pid: 2, attempt: 1, behavior: "succeed" },
    ]);
    expect(report.issues[0]?.pr).toEqual({
      number: 9,
      branch: "fleet/1-one",
      closesIssue: true,
      files: ["x"],
    });
  });

  it("does not count a retry after a death, but counts a start after a success", () => {
    const attempt = (number: number, outcome: string, startedAt: number, endedAt: number) => ({
      number,
      outcome,
      runnerId: "a",
      pid: null,
      exitCode: null,
      signal: null,
      startedAt,
      endedAt,
    });
    const report = buildReport(
      facts({
        journal: [
          start("a/b#1", 1, 10),
          start("a/b#1", 2, 30), // retry after the witness saw pid 1 die at 20
          end("a/b#1", 2, 40),
          start("a/b#1", 3, 50), // after attempt 2 succeeded at 45
          end("a/b#1", 3, 60),
        ],
        deaths: new Map([[1, 20]]),
        attempts: new Map([
          ["a/b#1", [attempt(1, "stalled", 5, 21), attempt(2, "succeeded", 25, 45)]],
        ]),
        speed: 60,
      }),
    );
    expect(report.totals.duplicateDispatches).toBe(1);
    expect(report.anomalies.duplicates.map((d) => d.pid)).toEqual([3]);

    // The same start is no duplicate when the merge policy asked for a fix after the success.
    const asked = buildReport(
      facts({
        journal: [start("a/b#1", 2, 30), end("a/b#1", 2, 40), start("a/b#1", 3, 50)],
        attempts: new Map([["a/b#1", [attempt(2, "succeeded", 25, 45)]]]),
        followUps: new Map([["a/b#1", [47]]]),
      }),
    );
    expect(asked.totals.duplicateDispatches).toBe(0);
    expect(report.issues[0]?.attempts).toEqual([
      {
        number: 1,
        startedAt: 300,
        outcome: "stalled",
        runtimeMs: 960,
        runner: "a",
        exitCode: null,
        signal: null,
      },
      {
        number: 2,
        startedAt: 1500,
        outcome: "succeeded",
        runtimeMs: 1200,
        runner: "a",
        exitCode: null,
        signal: null,
      },
    ]);
    expect(report.totals).toMatchObject({ stalled: 1, crashed: 0 });
    // pid 1 lived 10 real ms: 600 simulated ms at speed 60, and pid 3 as long.
    expect(report.maxAttemptRuntimeMs).toBe(600);
  });

  it("counts killed healthy agents, except for a cancel or a runner gone past its lease", () => {
    const killed = (key: string, pid: number, ppid: number): JournalEntry => ({
      ...start(key, pid, 100),
      ppid,
    });
    const attemptBy = (runnerId: string, pid: number) => ({
      number: 1,
      outcome: "lost",
      runnerId,
      pid,
      exitCode: null,
      signal: null,
      startedAt: 90,
      endedAt: 500,
    });
    const report = buildReport(
      facts({
        journal: [
          killed("a/b#1", 11, 1001), // runner a came back within its lease: must not die
          killed("a/b#2", 12, 1002), // runner b stayed away past its lease: the switch fired
          killed("a/b#3", 13, 1003), // unlabeled before it died
          // spawned by runner b just before its death, first heard of after it: still b's agent
          { ...killed("a/b#4", 14, 1004), at: 220 },
          // runner b died before it could record the wrapper's pid: its attempt is still known
          killed("a/b#5", 15, 1005),
          // no pid recorded, but by runner a, which came back within its lease: must not die
          killed("a/b#6", 16, 1006),
        ],
        deaths: new Map([
          [11, 300],
          [12, 300],
          [13, 300],
          [14, 300],
          [15, 300],
          [16, 300],
        ]),
        attempts: new Map([
          ["a/b#1", [attemptBy("a", 1001)]],
          ["a/b#2", [attemptBy("b", 1002)]],
          ["a/b#3", [attemptBy("a", 1003)]],
          ["a/b#4", [attemptBy("b", 1004)]],
          ["a/b#5", [{ ...attemptBy("b", 0), pid: null }]],
          ["a/b#6", [{ ...attemptBy("a", 0), pid: null }]],
        ]),
        cancelledAt: new Map([["a/b#3", 250]]),
        outages: [
          { runner: "a", killedAt: 200, backAt: 210 },
          { runner: "b", killedAt: 200, backAt: null },
        ],
        leaseTtlMs: 50,
      }),
    );
    expect(report.totals.killedHealthy).toBe(2);
    expect(report.anomalies.killedHealthy.map((a) => a.key)).toEqual(["a/b#1", "a/b#6"]);
    expect(report.issues.map((i) => i.agents[0]?.end)).toEqual([
      "killed",
      "killed",
      "killed",
      "killed",
    ]);
    expect(report.orphanProcesses).toBe(0);
  });

  it("reports agents still alive at the end as orphans", () => {
    const report = buildReport(
      facts({
        journal: [{ ...start("a/b#1", 7, 100), startTime: "42" }],
        isAlive: (agent) => agent.pid === 7 && agent.startTime === "42",
        endedAt: 400,
      }),
    );
    expect(report.orphanProcesses).toBe(1);
    expect(report.issues[0]?.agents[0]).toMatchObject({ end: "alive", runtimeMs: 300 });
    expect(report.totals.killedHealthy).toBe(0);
  });

  it("does not mistake a reference to another issue for a closing keyword", () => {
    const report = buildReport(
      facts({
        tasks: new Map([
          ["a/b#1", { state: "pr_open", prNumber: 9, decision: null, flaggedReason: null }],
        ]),
        pulls: new Map([
          ["a/b", [{ number: 9, head: "fleet/1-one", body: "Closes #12", files: [], ...UNMERGED }]],
        ]),
      }),
    );
    expect(report.issues[0]?.pr?.closesIssue).toBe(false);
  });

  it("reports the merge policy's outcome per issue and in the totals", () => {
    const report = buildReport(
      facts({
        tasks: new Map([
          ["a/b#1", { state: "verified", prNumber: 9, decision: "mergeable", flaggedReason: null }],
          [
            "a/b#2",
            { state: "reverted", prNumber: 10, decision: "mergeable", flaggedReason: null },
          ],
          [
            "a/b#3",
            {
              state: "needs_review",
              prNumber: 11,
              decision: "blocked",
              flaggedReason: "2000 changed lines is above the ceiling of 1000",
            },
          ],
        ]),
        pulls: new Map<string, PullFact[]>([
          [
            "a/b",
            [
              {
                number: 9,
                head: "fleet/1-a",
                body: "",
                files: [],
                merged: true,
                mergedAt: "1970-01-01T00:00:02Z",
                labels: ["size/XS"],
                checks: { ci: "success", "fleet/policy": "success" },
              },
              {
                number: 10,
                head: "fleet/2-b",
                body: "",
                files: [],
                merged: true,
                mergedAt: "1970-01-01T00:00:01Z",
                labels: ["size/S"],
                checks: {},
              },
              {
                number: 11,
                head: "fleet/3-c",
                body: "",
                files: [],
                merged: false,
                mergedAt: null,
                labels: ["size/XXL", "fleet:needs-review"],
                checks: { "fleet/policy": "failure" },
              },
            ],
          ],
        ]),
        pausedRepos: 1,
        pauses: [{ repo: "a/b", from: 3000, to: null }],
        badCommitsOnDefault: 0,
      }),
    );
    expect(
      report.issues.slice(0, 3).map((i) => [i.decision, i.sizeLabel, i.merged, i.reverted]),
    ).toEqual([
      ["mergeable", "size/XS", true, false],
      ["mergeable", "size/S", true, true],
      ["blocked", "size/XXL", false, false],
    ]);
    expect(report.issues[2]?.flaggedReason).toMatch(/above the ceiling/);
    expect(report.issues.slice(0, 3).map((i) => i.mergedAt)).toEqual([2000, 1000, null]);
    expect(report.issues[0]?.checks).toEqual({ ci: "success", "fleet/policy": "success" });
    expect(report.totals).toMatchObject({ merged: 2, flagged: 1, reverted: 1, paused: 1 });
    expect(report.badCommitsOnDefault).toBe(0);
    expect(report.pauses).toEqual([{ repo: "a/b", from: 3000, to: null }]);
  });
});
