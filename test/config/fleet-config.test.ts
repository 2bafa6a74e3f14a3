import { describe, expect, it } from "vitest";
import { DEFAULT_FLEET_CONFIG, parseFleetConfig } from "../../src/config/fleet-config.js";

describe("fleet.yml schema", () => {
  it("supplies every default from an empty file", () => {
    expect(DEFAULT_FLEET_CONFIG).toEqual({
      trigger: { label: "agent-ready", allowBots: [] },
      agent: {
        adapter: "command",
        env: [],
        timeout: 30 * 60_000,
        stallTimeout: 5 * 60_000,
        killGrace: 10_000,
        maxAttempts: 3,
        maxConcurrent: 2,
      },
      retry: { initial: 10_000, max: 300_000 },
      policy: {
        ignore: [
          "**/package-lock.json",
          "**/yarn.lock",
          "**/pnpm-lock.yaml",
          "**/*.lock",
          "**/go.sum",
          "**/Cargo.lock",
        ],
        maxLines: 1000,
        maxFiles: 50,
        review: { lines: 300, files: 15 },
        protectedPaths: [".github/**", "**/migrations/**", "**/*.lock"],
        codeownersProtected: false,
        reviewers: [],
        requiredChecks: "all",
        autoMerge: true,
        mergeMethod: "squash",
        checksTimeout: 2 * 60 * 60_000,
        maxFixAttempts: 2,
        postMerge: { timeout: 60 * 60_000 },
      },
      dashboard: true,
      report: { at: "07:00", window: 24 * 60 * 60_000, fileIssues: false },
      budget: {},
    });
    expect(parseFleetConfig(null)).toEqual({ ok: true, config: DEFAULT_FLEET_CONFIG });
  });

  it("reads durations in 30s / 5m / 1h form", () => {
    const parsed = parseFleetConfig({ agent: { timeout: "1h", stallTimeout: "90s" } });
    expect(parsed.ok && parsed.config.agent).toMatchObject({
      timeout: 3_600_000,
      stallTimeout: 90_000,
    });
  });

  it("keeps defaults for keys a partial file leaves out", () => {
    const parsed = parseFleetConfig({ trigger: { label: "fleet-go" } });
    expect(parsed.ok && parsed.config.trigger.label).toBe("fleet-go");
    expect(parsed.ok && parsed.config.agent.maxAttempts).toBe(3);
  });

  it.each([
    [{ trigger: { label: "" } }, "trigger.label"],
    [{ agent: { timeout: "soon" } }, "agent.timeout"],
    [{ agent: { maxAttempts: 0 } }, "agent.maxAttempts"],
    [{ agent: { adapter: "gpt" } }, "agent.adapter"],
    [{ agent: { env: ["lower-case"] } }, "agent.env.0"],
    [{ agent: { command: [] } }, "agent.command"],
    [{ unknownKey: true }, "unknownKey"],
    [{ agent: { bogus: 1, "odd key": 2 } }, 'agent."odd key"'],
  ])("reports %j at %s", (raw, path) => {
    const parsed = parseFleetConfig(raw);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.errors.map((e) => e.path)).toContain(path);
  });
});
