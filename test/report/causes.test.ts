import { describe, expect, it } from "vitest";
import {
  causeFingerprint,
  INFRASTRUCTURE_OUTCOMES,
  normaliseCause,
  shortMessage,
} from "../../src/report/causes.js";
import { type FinishedAttempt, failureMessage, groupFailures } from "../../src/report/failures.js";

describe("normaliseCause", () => {
  it.each([
    ["stalled", null, "stalled"],
    ["stalled", "   \n  ", "stalled"],
    ["crashed", "exit code 137", "crashed: exit code <n>"],
    [
      "runner_error",
      "git push failed: exit code 128 for /var/lib/fleet/worktrees/12-1 after 30s",
      "runner_error: git push failed: exit code <n> for <path> after <duration>",
    ],
    [
      "runner_error",
      "HttpError: Not Found - https://docs.github.com/rest/pulls#create 404",
      "runner_error: HttpError: Not Found - <url> <n>",
    ],
    [
      "runner_error",
      "fatal: bad object 3f2a9c1b04de77e0a1b2c3d4e5f60718293a4b5c",
      "runner_error: fatal: bad object <hex>",
    ],
    [
      "runner_error",
      "lease 550e8400-e29b-41d4-a716-446655440000 expired at 2024-05-01T07:00:12.345Z",
      "runner_error: lease <id> expired at <time>",
    ],
    [
      "timed_out",
      "no output for 5m30s (limit 1h)",
      "timed_out: no output for <duration> (limit <duration>)",
    ],
    [
      "runner_error",
      "took 1500ms then 2 minutes then 3 hours; 5 more tries",
      "runner_error: took <duration> then <duration> then <duration>; <n> more tries",
    ],
    [
      "runner_error",
      "ENOENT: no such file or directory, open './data/attempts/12/meta.json'",
      "runner_error: ENOENT: no such file or directory, open '<path>'",
    ],
    [
      "runner_error",
      "push of refs/heads/fleet/3-fix rejected at 0x7ffd",
      "runner_error: push of <path> rejected at <hex>",
    ],
    ["runner_error", "C:\\fleet\\attempt.log missing", "runner_error: <path> missing"],
    [
      "lost",
      "the agent was gone after a runner restart\nsecond line is ignored",
      "lost: the agent was gone after a runner restart",
    ],
    ["runner_error", "  spaced   out\ttext ", "runner_error: spaced out text"],
  ])("%s + %j -> %j", (outcome, message, expected) => {
    expect(normaliseCause(outcome, message)).toBe(expected);
  });

  it("gives two sightings of the same failure one cause, and different failures different ones", () => {
    const a = normaliseCause("runner_error", "git push failed after 12s in /tmp/a/1 (pid 4411)");
    const b = normaliseCause("runner_error", "git push failed after 3m in /tmp/b/77 (pid 9)");
    const c = normaliseCause("runner_error", "git fetch failed after 3m in /tmp/b/77 (pid 9)");
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(normaliseCause("crashed", "exit code 1")).not.toBe(
      normaliseCause("runner_error", "exit code 1"),
    );
  });

  it("caps a long cause", () => {
    const cause = normaliseCause("runner_error", "word ".repeat(100));
    expect(cause.length).toBe(200);
    expect(cause.endsWith("…")).toBe(true);
  });
});

describe("causeFingerprint", () => {
  it("is the first 12 hex digits of the cause's sha256", () => {
    // sha256("stalled") computed independently with `printf stalled | sha256sum`.
    expect(causeFingerprint("stalled")).toBe("7b600e7fa8a5");
    expect(causeFingerprint("crashed: exit code <n>")).toMatch(/^[0-9a-f]{12}$/);
    expect(causeFingerprint("crashed: exit code <n>")).not.toBe(causeFingerprint("stalled"));
  });
});

describe("shortMessage", () => {
  it("keeps the first non-empty line, cut at 160 characters", () => {
    expect(shortMessage("\n  first line  \nsecond")).toBe("first line");
    expect(shortMessage(null)).toBe("");
    const long = shortMessage("x".repeat(300));
    expect(long.length).toBe(160);
    expect(long.endsWith("…")).toBe(true);
  });
});

function finished(overrides: Partial<FinishedAttempt>): FinishedAttempt {
  return {
    repo: "acme/app",
    issue: 1,
    attempt: 1,
    outcome: "crashed",
    endedAt: new Date("2024-05-01T07:00:00Z"),
    exitCode: null,
    signal: null,
    finishData: {},
    taskLastError: null,
    ownsLastError: false,
    ...overrides,
  };
}

describe("failureMessage", () => {
  it.each<[string, Partial<FinishedAttempt>, string | null]>([
    [
      "the finish event's own error first",
      {
        finishData: { lastError: "from the event" },
        taskLastError: "from the task",
        ownsLastError: true,
      },
      "from the event",
    ],
    [
      "the task's last error when this finish wrote it",
      { outcome: "runner_error", taskLastError: "push failed", ownsLastError: true },
      "push failed",
    ],
    [
      "not the task's last error another attempt wrote",
      { outcome: "runner_error", taskLastError: "push failed", ownsLastError: false },
      null,
    ],
    [
      "not the generic text of a give-up",
      {
        outcome: "crashed",
        taskLastError: "last attempt crashed",
        ownsLastError: true,
        exitCode: 2,
      },
      "exit code 2",
    ],
    [
      "a crash's signal",
      { outcome: "crashed", signal: "SIGSEGV", exitCode: null },
      "killed by SIGSEGV",
    ],
    [
      "the reason a PR was flagged",
      { outcome: "conflict_unresolved", finishData: { flaggedReason: "conflicts in `a.ts`" } },
      "conflicts in `a.ts`",
    ],
    [
      "what a takeover means",
      { outcome: "lost", finishData: null },
      "its runner's lease expired and another runner took the task over",
    ],
    ["nothing for a stall without text", { outcome: "stalled", signal: "SIGTERM" }, null],
  ])("uses %s", (_name, overrides, expected) => {
    expect(failureMessage(finished(overrides))).toBe(expected);
  });
});

describe("groupFailures", () => {
  it("groups by cause, most frequent first, with up to three examples, skipping successes", () => {
    const at = (minute: number) => new Date(Date.UTC(2024, 4, 1, 7, minute));
    const groups = groupFailures([
      finished({ issue: 1, exitCode: 1, endedAt: at(5) }),
      finished({ issue: 2, exitCode: 2, endedAt: at(1) }),
      finished({ issue: 3, exitCode: 3, endedAt: at(3) }),
      finished({ issue: 4, exitCode: 4, endedAt: at(4) }),
      finished({ issue: 5, outcome: "stalled", endedAt: at(2) }),
      finished({ issue: 6, outcome: "succeeded", endedAt: at(2) }),
      finished({ issue: 7, outcome: "no_changes", endedAt: at(6) }),
      finished({ issue: 8, outcome: "released", endedAt: at(6) }),
    ]);
    expect(groups.map((g) => [g.cause, g.count, g.infrastructure])).toEqual([
      ["crashed: exit code <n>", 4, true],
      ["no_changes", 1, false],
      ["stalled", 1, true],
    ]);
    const crashed = groups[0];
    expect(crashed?.fingerprint).toBe(causeFingerprint("crashed: exit code <n>"));
    // Oldest first: issue 2 (07:01), 3 (07:03), 4 (07:04); issue 1 (07:05) is past the three.
    expect(crashed?.examples).toEqual([
      { repo: "acme/app", issue: 2, attempt: 1, message: "exit code 2", at: at(1).toISOString() },
      { repo: "acme/app", issue: 3, attempt: 1, message: "exit code 3", at: at(3).toISOString() },
      { repo: "acme/app", issue: 4, attempt: 1, message: "exit code 4", at: at(4).toISOString() },
    ]);
    expect(crashed?.firstAt).toBe(at(1).toISOString());
    expect(crashed?.lastAt).toBe(at(5).toISOString());
    expect(groups[2]?.examples[0]?.message).toBe("stalled");
  });

  it("treats runner errors, lost attempts, stalls, timeouts and crashes as infrastructure", () => {
    expect([...INFRASTRUCTURE_OUTCOMES].sort()).toEqual([
      "crashed",
      "lost",
      "runner_error",
      "stalled",
      "timed_out",
    ]);
  });
});
