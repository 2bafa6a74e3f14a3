import { describe, expect, it } from "vitest";
import { createClock } from "../../src/config/clock.js";
import { formatDuration, parseDuration } from "../../src/config/durations.js";

describe("parseDuration", () => {
  it.each([
    ["250ms", 250],
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["1m30s", 90_000],
    ["1.5s", 1_500],
    [" 10s ", 10_000],
  ])("%s is %i ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "10", "ten seconds", "5 m", "-1s", "1d", "s"])("rejects %j with a hint", (text) => {
    expect(() => parseDuration(text)).toThrow(/like 30s, 5m or 1h/);
  });
});

describe("formatDuration", () => {
  it.each([
    [999, "999ms"],
    [1_500, "1.5s"],
    [90_000, "1m30s"],
    [300_000, "5m"],
    [5_400_000, "1h30m"],
  ])("%i ms reads %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe("the clock", () => {
  it("scales configured durations by its speed", () => {
    expect(createClock(60).scale(60_000)).toBe(1_000);
    expect(createClock(1).scale(5)).toBe(5);
    expect(() => createClock(0)).toThrow(/positive/);
  });

  it("ends a sleep early when aborted", async () => {
    const clock = createClock(1);
    const controller = new AbortController();
    const started = Date.now();
    const sleeping = clock.sleep(60_000, controller.signal);
    controller.abort();
    await sleeping;
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
