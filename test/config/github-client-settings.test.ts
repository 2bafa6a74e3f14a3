import { describe, expect, it } from "vitest";
import { loadSettings } from "../../src/config/settings.js";

describe("GitHub client and redelivery settings", () => {
  it("default to a 30 s request deadline and a sweep every 15 minutes", () => {
    expect(loadSettings({})).toMatchObject({
      githubTimeoutMs: 30_000,
      redeliveryIntervalMs: 900_000,
    });
  });

  it("take durations, and 0 or off for no sweep", () => {
    const settings = loadSettings({ FLEET_GITHUB_TIMEOUT: "2s", FLEET_REDELIVERY_INTERVAL: "5m" });
    expect(settings).toMatchObject({ githubTimeoutMs: 2_000, redeliveryIntervalMs: 300_000 });
    expect(loadSettings({ FLEET_REDELIVERY_INTERVAL: "off" }).redeliveryIntervalMs).toBe(0);
    expect(loadSettings({ FLEET_REDELIVERY_INTERVAL: "0" }).redeliveryIntervalMs).toBe(0);
  });

  it("name the setting and what it takes when a value is wrong", () => {
    expect(() => loadSettings({ FLEET_REDELIVERY_INTERVAL: "soon" })).toThrow(
      /FLEET_REDELIVERY_INTERVAL: a duration like 15m, or 0 or off/,
    );
    expect(() => loadSettings({ FLEET_GITHUB_TIMEOUT: "0s" })).toThrow(
      /FLEET_GITHUB_TIMEOUT: a timeout above 0/,
    );
  });
});
