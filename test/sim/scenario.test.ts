import { readdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { agentSteps, loadScenario, parseScenario } from "../../src/sim/scenario.js";
import { buildTimeline } from "../../src/sim/timeline.js";

const minimal = `
name: t
repos: [ { slug: acme/api } ]
issues:
  - repo: acme/api
    number: 1
    title: One
    labels:
      - { name: agent-ready, by: alice, at: 2s }
      - { remove: agent-ready, by: alice, at: 1m }
    close: { by: alice, at: 30s }
events:
  - { redeliver: { repo: acme/api, issue: 1, label: agent-ready } }
`;

// The notation of issue 3, section 6, verbatim (plus the repo it needs).
const version2 = `
speed: 60                      # optional default; the --speed flag overrides it
name: v2
repos: [ { slug: acme/api } ]
issues:
  - repo: acme/api
    number: 4
    title: Flaky
    labels: [ { name: agent-ready, by: alice, at: 0s } ]
    agent:                     # one entry per attempt; the last one repeats
      - { behavior: crash, duration: 20s }
      - { behavior: succeed, duration: 1m, edit: { a.txt: "a\\n" } }
events:
  - { start-runner: b, at: 0s }
  - { kill-runner: a, at: 1m }
  - { start-runner: a, at: 1m30s }
  - { restart-server: true, at: 5m }
  - { quiet: 10m, at: 40m }      # measured from 40m to 50m
`;

describe("scenario files", () => {
  it("orders label, close and redelivery actions by time", () => {
    const timeline = buildTimeline(parseScenario(minimal));
    expect(timeline.map((a) => [a.kind, a.at])).toEqual([
      ["label", 2_000],
      ["redeliver", 2_000],
      ["close", 30_000],
      ["unlabel", 60_000],
    ]);
  });

  it("reads the version 2 notation: per-attempt agents, runner, server and quiet events", () => {
    const scenario = parseScenario(version2);
    expect(scenario.speed).toBe(60);
    expect(scenario.runner).toEqual({ leaseTtl: 60_000, concurrency: 4 });
    const [issue] = scenario.issues;
    expect(issue && agentSteps(issue)).toEqual([
      { behavior: "crash", duration: 20_000, edit: {} },
      { behavior: "succeed", duration: 60_000, edit: { "a.txt": "a\n" } },
    ]);
    expect(buildTimeline(scenario).map((a) => [a.kind, a.at])).toEqual([
      ["label", 0],
      ["start-runner", 0],
      ["kill-runner", 60_000],
      ["start-runner", 90_000],
      ["restart-server", 300_000],
      ["quiet", 2_400_000],
    ]);
    expect(buildTimeline(scenario).at(-1)).toMatchObject({ durationMs: 600_000 });
  });

  it("accepts every behaviour of version 2", () => {
    for (const behavior of ["hang", "busy", "crash", "ignore-sigterm", "slow", "noop", "fail"]) {
      const text = `name: t\nrepos: [ { slug: a/b } ]\nissues: [ { repo: a/b, number: 1, title: x, agent: { behavior: ${behavior} } } ]\n`;
      expect(agentSteps(parseScenario(text).issues[0] ?? ({} as never))[0]?.behavior).toBe(
        behavior,
      );
    }
  });

  it("refuses runner events in an impossible order, and activity inside a quiet period", () => {
    const withEvents = (events: string) =>
      parseScenario(
        `name: t\nrepos: [ { slug: a/b } ]\nissues: [ { repo: a/b, number: 1, title: x, labels: [ { name: go, by: al, at: 5m } ] } ]\nevents:\n${events}`,
      );
    expect(() => withEvents("  - { start-runner: a, at: 1s }\n")).toThrow(
      /events\.0: runner a is already up/,
    );
    expect(() => withEvents("  - { kill-runner: b, at: 1s }\n")).toThrow(
      /events\.0: runner b is not running/,
    );
    expect(() => withEvents("  - { quiet: 10m, at: 1m }\n")).toThrow(
      /events\.0: a quiet period must be quiet, but a label falls inside it/,
    );
    expect(() =>
      withEvents("  - { kill-runner: a, at: 1s }\n  - { start-runner: a, at: 2s }\n"),
    ).not.toThrow();
  });

  it("names the key path of a mistake", () => {
    expect(() => parseScenario("name: t\nrepos: [ { slug: acme } ]\n", "bad.yml")).toThrow(
      /bad\.yml is not a valid scenario:\n {2}repos\.0\.slug: owner\/name/,
    );
    expect(() =>
      parseScenario(
        "name: t\nrepos: [ { slug: a/b } ]\nissues: [ { repo: c/d, number: 1, title: x } ]\n",
      ),
    ).toThrow(/issues\.0\.repo: unknown repo c\/d/);
    expect(() =>
      parseScenario(
        "name: t\nrepos: [ { slug: a/b } ]\nissues: [ { repo: a/b, number: 1, title: x, agent: { behavior: dance } } ]\n",
      ),
    ).toThrow(/issues\.0\.agent/);
  });

  it("ships example and end-to-end scenarios that all parse", async () => {
    const dirs = ["../../examples/scenarios/", "../e2e/scenarios/"];
    let count = 0;
    for (const dir of dirs) {
      const path = fileURLToPath(new URL(dir, import.meta.url));
      for (const file of (await readdir(path)).filter((f) => f.endsWith(".yml"))) {
        await expect(loadScenario(`${path}${file}`), file).resolves.toMatchObject({
          name: expect.any(String),
        });
        count += 1;
      }
    }
    expect(count).toBeGreaterThanOrEqual(6);
  });
});
