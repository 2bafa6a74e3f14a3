import { spawn } from "node:child_process";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  isSameProcess,
  livingGroupMembers,
  readProcStartTime,
  readProcStat,
} from "../../src/runner/proc-stat.js";
import { tempDir } from "./support/temp-dir.js";

const dir = tempDir();

describe("proc stat", () => {
  it("reads a stable start time for a live process", async () => {
    const first = await readProcStartTime(process.pid);
    expect(first).not.toBeNull();
    expect(await readProcStartTime(process.pid)).toBe(first);
    expect(await isSameProcess(process.pid, first ?? 0n)).toBe(true);
    expect(await isSameProcess(process.pid, (first ?? 0n) + 1n)).toBe(false);
  });

  it("parses a command name full of spaces and parentheses", async () => {
    // comm is the executable's file name, so this one contains ") (" and spaces
    const tricky = join(dir, "a) b (c) d");
    copyFileSync("/bin/sleep", tricky);
    const child = spawn(tricky, ["1000"], { detached: true, stdio: "ignore" });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    const pid = child.pid ?? -1;
    try {
      const stat = await readProcStat(pid);
      expect(stat?.pgrp).toBe(pid); // detached: its own group
      expect(stat?.state).toMatch(/^[RSD]$/);
      const mine = await readProcStartTime(process.pid);
      expect(stat?.startTime).toBeGreaterThanOrEqual(mine ?? 0n);
      expect(await livingGroupMembers(pid)).toEqual([pid]);
    } finally {
      child.kill("SIGKILL");
    }
    await exited;
  });

  it("reports a dead process as gone", async () => {
    const child = spawn("sleep", ["1000"], { stdio: "ignore" });
    const pid = child.pid ?? -1;
    const start = await readProcStartTime(pid);
    expect(start).not.toBeNull();
    expect(await isSameProcess(pid, start ?? 0n)).toBe(true);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    expect(await isSameProcess(pid, start ?? 0n)).toBe(false);
    expect(await readProcStartTime(pid)).not.toBe(start); // reaped (null) or a recycled pid
    expect(await readProcStartTime(-1)).toBeNull();
    expect(await livingGroupMembers(pid)).toEqual([]);
  });
});
