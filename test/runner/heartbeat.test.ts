import { appendFileSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createClock } from "../../src/config/clock.js";
import {
  type HeartbeatWatch,
  sharedTimerCount,
  watchHeartbeats,
} from "../../src/runner/heartbeat.js";
import { tempDir } from "./support/temp-dir.js";
import { waitFor } from "./support/wait-for.js";

const root = tempDir("fleet-heartbeat-");
const clock = createClock(1);
const fixture = readFileSync(
  fileURLToPath(new URL("../fixtures/claude-stream.jsonl", import.meta.url)),
  "utf8",
);
const open: HeartbeatWatch[] = [];
let n = 0;

afterEach(() => {
  for (const watch of open.splice(0)) watch.close();
});

function attempt(source: "files" | "stream-json-stdout", pollMs = 60_000) {
  const dir = join(root, `a${++n}`);
  mkdirSync(dir);
  const beats: number[] = [];
  const watch = watchHeartbeats({
    attemptDir: dir,
    source,
    clock,
    pollMs,
    onBeat: (at) => beats.push(at),
  });
  open.push(watch);
  return { dir, watch, beats };
}

describe("watchHeartbeats, files source", () => {
  it("counts each change of the heartbeat file's mtime, dated by that mtime", () => {
    const { dir, watch, beats } = attempt("files");
    expect(watch.lastBeatAt()).toBeNull();
    const file = join(dir, "heartbeat");
    writeFileSync(file, "");
    const first = new Date(Date.now() - 5000);
    utimesSync(file, first, first);
    watch.refresh();
    expect(watch.lastBeatAt()).toBeCloseTo(first.getTime(), 0); // mtimeMs is a float
    watch.refresh(); // no touch since: no beat
    expect(watch.beats()).toBe(1);
    const second = new Date(first.getTime() + 1000);
    utimesSync(file, second, second);
    watch.refresh();
    expect(watch.beats()).toBe(2);
    expect(beats.map(Math.round)).toEqual([first.getTime(), second.getTime()]);
  });

  it("never dates a heartbeat in the future", () => {
    const { dir, watch } = attempt("files");
    const file = join(dir, "heartbeat");
    writeFileSync(file, "");
    const future = new Date(Date.now() + 3_600_000);
    utimesSync(file, future, future);
    watch.refresh();
    expect(watch.lastBeatAt()).toBeLessThanOrEqual(Date.now());
  });

  it("counts appended JSON lines in the events file and ignores other text", () => {
    const { dir, watch } = attempt("files");
    const file = join(dir, "events.jsonl");
    appendFileSync(file, '{"step":1}\nnot json\n\n{"step":2}\n');
    watch.refresh();
    expect(watch.beats()).toBe(2);
    appendFileSync(file, "plain text only\n");
    watch.refresh();
    expect(watch.beats()).toBe(2);
    appendFileSync(file, "[3]\n");
    watch.refresh();
    expect(watch.beats()).toBe(3);
  });

  it("waits for a partial last line to be completed", () => {
    const { dir, watch } = attempt("files");
    const file = join(dir, "events.jsonl");
    appendFileSync(file, '{"half": ');
    watch.refresh();
    expect(watch.beats()).toBe(0);
    expect(watch.lastBeatAt()).toBeNull();
    appendFileSync(file, '"done"}\n{"next"');
    watch.refresh();
    expect(watch.beats()).toBe(1);
    appendFileSync(file, ":true}\n");
    watch.refresh();
    expect(watch.beats()).toBe(2);
  });

  it("starts over when the file is truncated", () => {
    const { dir, watch } = attempt("files");
    const file = join(dir, "events.jsonl");
    appendFileSync(file, '{"a":1}\n{"b":2}\n');
    watch.refresh();
    writeFileSync(file, '{"c":3}\n');
    watch.refresh();
    expect(watch.beats()).toBe(3);
  });

  it("ignores stdout, which only the stream-json source reads", () => {
    const { dir, watch } = attempt("files");
    appendFileSync(join(dir, "stdout.log"), fixture);
    watch.refresh();
    expect(watch.beats()).toBe(0);
  });
});

describe("watchHeartbeats, stream-json-stdout source", () => {
  const lines = fixture.split("\n").filter((line) => line !== "");

  it("counts every stream-json event in stdout, byte by byte included", () => {
    const { dir, watch } = attempt("stream-json-stdout");
    const file = join(dir, "stdout.log");
    const bytes = Buffer.from(fixture);
    // feed in awkward pieces, splitting lines and multi-byte characters
    for (let at = 0; at < bytes.length; at += 997) {
      appendFileSync(file, bytes.subarray(at, at + 997));
      watch.refresh();
    }
    expect(lines.length).toBeGreaterThan(5);
    expect(watch.beats()).toBe(lines.length);
  });

  it("does not count terminal text, nor JSON that is not a stream event", () => {
    const { dir, watch } = attempt("stream-json-stdout");
    appendFileSync(
      join(dir, "stdout.log"),
      'Thinking...\n{"type":"assistant"} trailing\n{"no_type":1}\n[1,2]\n',
    );
    watch.refresh();
    expect(watch.beats()).toBe(0);
    appendFileSync(join(dir, "stdout.log"), `${lines[0]}\n`);
    watch.refresh();
    expect(watch.beats()).toBe(1);
  });
});

describe("the shared scan timer", () => {
  it("serves every watcher with one timer and scans without being asked", async () => {
    const before = sharedTimerCount();
    const watchers = Array.from({ length: 20 }, () => attempt("files", 25));
    expect(sharedTimerCount()).toBe(before + 1);
    const last = watchers.at(-1);
    if (!last) throw new Error("no watchers");
    writeFileSync(join(last.dir, "heartbeat"), "");
    await waitFor("a beat from the timer", () => last.beats.length > 0);
    expect(last.watch.lastBeatAt()).not.toBeNull();
    for (const { watch } of watchers) watch.close();
    expect(sharedTimerCount()).toBe(before);
  });

  it("stops reporting once closed", () => {
    const { dir, watch, beats } = attempt("files");
    watch.close();
    writeFileSync(join(dir, "heartbeat"), "");
    watch.refresh();
    expect(beats).toEqual([]);
  });
});
