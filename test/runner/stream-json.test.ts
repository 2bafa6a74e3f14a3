import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  isHeartbeat,
  parseStreamJsonLine,
  streamJsonSignal,
  summarizeStreamJson,
} from "../../src/runner/adapters/stream-json.js";

const sample = readFileSync(new URL("../fixtures/claude-stream.jsonl", import.meta.url), "utf8")
  .split("\n")
  .filter((line) => line !== "");

describe("parseStreamJsonLine", () => {
  it("reads the init, assistant, user and result events of a recorded run", () => {
    const events = sample.map(parseStreamJsonLine);
    expect(events.map((e) => e?.type)).toEqual([
      "system",
      "assistant",
      "user",
      "assistant",
      "user",
      "assistant",
      "user",
      "assistant",
      "result",
    ]);
    const [init, first, toolResult] = events;
    expect(init).toMatchObject({
      type: "system",
      subtype: "init",
      model: "claude-sonnet-4-5-20250929",
    });
    expect(init?.type === "system" && init.tools).toContain("Edit");
    expect(first).toMatchObject({
      type: "assistant",
      texts: ["I'll start by reading the README to see the current title."],
      toolUses: [{ name: "Read", input: { file_path: "README.md" } }],
    });
    expect(toolResult).toMatchObject({ type: "user", toolResults: 1 });
    expect(events.at(-1)).toEqual({
      type: "result",
      subtype: "success",
      isError: false,
      durationMs: 18342,
      numTurns: 7,
      result: "The README title is now capitalised and the change is committed.",
      costUsd: 0.0421337,
      sessionId: "5f1c2a7e-3b9d-4c41-9e0a-2d7b8c6f4a13",
    });
  });

  it.each([
    "",
    "not json at all",
    "{truncated",
    "null",
    "42",
    '"a string"',
    "[1, 2]",
    '{"no":"type"}',
    '{"type":7}',
    '{"type":"stream_event","event":{}}',
  ])("returns null for %j", (line) => {
    expect(parseStreamJsonLine(line)).toBeNull();
    expect(isHeartbeat(parseStreamJsonLine(line))).toBe(false);
  });

  it("tolerates malformed content inside known events", () => {
    const event = parseStreamJsonLine('{"type":"assistant","message":{"content":"oops"}}');
    expect(event).toEqual({ type: "assistant", sessionId: null, texts: [], toolUses: [] });
    expect(isHeartbeat(event)).toBe(true);
  });

  it("marks error results, and reads the older cost field", () => {
    const event = parseStreamJsonLine(
      '{"type":"result","subtype":"error_max_turns","num_turns":30,"cost_usd":1.5,"session_id":"s"}',
    );
    expect(event).toMatchObject({
      isError: true,
      subtype: "error_max_turns",
      costUsd: 1.5,
      result: null,
    });
  });
});

describe("summarizeStreamJson", () => {
  it("summarises the recorded run", () => {
    const base = Date.parse("2025-01-02T03:04:05.000Z");
    const timed = sample.map((line, i) => ({ line, at: base + i * 1000 }));
    expect(summarizeStreamJson(timed)).toEqual({
      events: 9,
      turns: 7,
      costUsd: 0.0421337,
      result: "The README title is now capitalised and the change is committed.",
      resultSubtype: "success",
      isError: false,
      toolUses: 3,
      sessionId: "5f1c2a7e-3b9d-4c41-9e0a-2d7b8c6f4a13",
      model: "claude-sonnet-4-5-20250929",
      lastEventAt: new Date(base + 8000),
    });
  });

  it("skips noise and reports an unfinished run as undecided", () => {
    const lines = ["garbage", ...sample.slice(0, 4), "{bad", "  "];
    const summary = summarizeStreamJson(lines);
    expect(summary).toMatchObject({
      events: 4,
      turns: 2,
      toolUses: 2,
      isError: null,
      result: null,
      costUsd: null,
      lastEventAt: null,
    });
  });
});

describe("streamJsonSignal", () => {
  it("counts every event as a beat but never stops on the final result's cost", () => {
    const result = JSON.stringify({ type: "result", subtype: "success", total_cost_usd: 9.5 });
    expect(streamJsonSignal(result)).toEqual({ costUsd: null });
    expect(streamJsonSignal(JSON.stringify({ type: "system", subtype: "init" }))).toEqual({
      costUsd: null,
    });
    expect(streamJsonSignal("not json")).toBeNull();
  });
});
