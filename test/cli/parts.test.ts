import { Writable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { startProgress } from "../../src/cli/progress.js";
import { parseRepoRef, parseTaskRef, RefError } from "../../src/cli/task-ref.js";
import { createClock } from "../../src/config/clock.js";
import { doctorPassed, formatDoctor } from "../../src/ops/doctor/index.js";
import { missingFromApp } from "../../src/ops/doctor/manifest.js";
import { parseScenario } from "../../src/sim/scenario.js";
import { simulationProgressText } from "../../src/sim/simulate-command.js";

describe("task references", () => {
  it("reads owner/repo#n and owner/repo", () => {
    expect(parseTaskRef("octo/app.js#12")).toEqual({ repoFullName: "octo/app.js", number: 12 });
    expect(parseTaskRef(" my-org/my_repo#1 ")).toEqual({
      repoFullName: "my-org/my_repo",
      number: 1,
    });
    expect(parseRepoRef("octo/app")).toBe("octo/app");
  });

  it("rejects anything else with the expected form", () => {
    for (const bad of ["octo/app", "octo#1", "octo/app#", "octo/app#-1", "octo/app#0", "a/b/c#1"]) {
      expect(() => parseTaskRef(bad), bad).toThrow(RefError);
    }
    expect(() => parseTaskRef("octo/app")).toThrow(/expected owner\/repo#number/);
    expect(() => parseRepoRef("octo/app#1")).toThrow(/expected owner\/repo/);
    expect(() => parseRepoRef("octo")).toThrow(RefError);
  });
});

describe("doctor output", () => {
  const results = [
    { name: "database", status: "pass" as const, detail: "PostgreSQL 17" },
    { name: "git", status: "fail" as const, detail: "git not found on PATH", hint: "install git" },
    { name: "disk space", status: "warn" as const, detail: "1 GiB free", hint: "free space" },
    { name: "GitHub API", status: "skip" as const, detail: "needs APP_ID", hint: "unused" },
  ];

  it("prints one line per check, a hint under each failure or warning, and a summary", () => {
    expect(formatDoctor(results).split("\n")).toEqual([
      "pass  database    PostgreSQL 17",
      "FAIL  git         git not found on PATH",
      "                  hint: install git",
      "warn  disk space  1 GiB free",
      "                  hint: free space",
      "skip  GitHub API  needs APP_ID",
      "",
      "not ready: 1 passed, 1 failed, 1 warnings, 1 skipped",
    ]);
  });

  it("fails only on a failed check", () => {
    expect(doctorPassed(results)).toBe(false);
    expect(doctorPassed(results.filter((r) => r.status !== "fail"))).toBe(true);
  });

  it("lists what app.yml asks for and the registered app lacks", () => {
    const manifest = {
      events: ["issues", "push"],
      permissions: { issues: "write", contents: "write", metadata: "read" },
    };
    expect(
      missingFromApp(manifest, {
        events: ["issues"],
        permissions: { issues: "admin", contents: "read", metadata: "read" },
      }),
    ).toEqual(["contents: write", "the push event"]);
  });
});

describe("progress", () => {
  function capture(isTTY: boolean, columns = 80) {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        chunks.push(String(chunk));
        done();
      },
    }) as unknown as NodeJS.WriteStream;
    // What ora uses of a terminal's stream to redraw its line.
    const redraw = () => true;
    Object.assign(stream, {
      isTTY,
      columns,
      cursorTo: redraw,
      clearLine: redraw,
      moveCursor: redraw,
    });
    return { stream, chunks };
  }

  it("writes nothing when the stream is not a terminal", () => {
    const { stream, chunks } = capture(false);
    startProgress(() => "working", { stream }).stop();
    expect(chunks).toEqual([]);
  });

  it("writes nothing on a terminal without a size, which ora would redraw endlessly", () => {
    const { stream, chunks } = capture(true, 0);
    startProgress(() => "working", { stream }).stop();
    expect(chunks).toEqual([]);
  });

  it("shows a spinner with its text on a terminal", () => {
    vi.stubEnv("CI", undefined);
    vi.stubEnv("TERM", "xterm");
    try {
      const { stream, chunks } = capture(true);
      startProgress((ms) => `working ${ms}`, { stream, clock: createClock() }).stop();
      expect(chunks.join("")).toContain("working 0");
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("describes a simulation: its size, its timeline at the chosen speed, the time elapsed", () => {
    const scenario = parseScenario(
      [
        "name: night",
        "repos: [{ slug: acme/api }]",
        "issues:",
        "  - { repo: acme/api, number: 1, title: a, labels: [{ name: agent-ready, by: alice, at: 0s }] }",
        "  - { repo: acme/api, number: 2, title: b, labels: [{ name: agent-ready, by: alice, at: 10m }] }",
      ].join("\n"),
    );
    expect(simulationProgressText(scenario, 10, 75_000)).toBe(
      "simulating night: 2 issues in 1 repo, timeline 1m 0s at speed 10, 1m 15s elapsed",
    );
  });
});
