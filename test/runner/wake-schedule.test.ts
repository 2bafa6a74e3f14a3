import { describe, expect, it } from "vitest";
import { WakeSchedule } from "../../src/runner/wake-schedule.js";

describe("the fallback sweep's schedule", () => {
  it("doubles from 1 s up to 5 min while nothing is found, and resets on work", () => {
    const schedule = new WakeSchedule();
    const seen = [schedule.intervalMs];
    for (let i = 0; i < 12; i++) {
      schedule.foundNothing();
      seen.push(schedule.intervalMs);
    }
    expect(seen.slice(0, 6)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000]);
    expect(seen.at(-1)).toBe(300_000);
    schedule.foundWork();
    expect(schedule.intervalMs).toBe(1_000);
  });
});
