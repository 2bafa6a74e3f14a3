import { describe, expect, it } from "vitest";
import { parseScenario } from "../../src/sim/scenario.js";
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
});
