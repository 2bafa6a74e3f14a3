import { appendFileSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createClock } from "../../src/config/clock.js";
import { parseCodexJsonLine, summarizeCodexJson } from "../../src/runner/adapters/codex-json.js";
import { parseFleetEventLine } from "../../src/runner/adapters/fleet-events.js";
import { getAdapter } from "../../src/runner/adapters/index.js";
import type { AgentLaunchContext } from "../../src/runner/adapters/types.js";
import { type HeartbeatWatch, watchHeartbeats } from "../../src/runner/heartbeat.js";
import { tempDir } from "./support/temp-dir.js";

const root = tempDir("fleet-adapter-reports-");
const claudeFixture = fileURLToPath(new URL("../fixtures/claude-stream.jsonl", import.meta.url));
const codexFixture = fileURLToPath(new URL("../fixtures/codex-exec.jsonl", import.meta.url));
const codexLines = readFileSync(codexFixture, "utf8").split("\n").filter(Boolean);
let n = 0;

function attemptDir(): string {
  const dir = join(root, `a${++n}`);
  mkdirSync(dir);
  return dir;
}

const ctx = (settings: unknown): AgentLaunchContext => ({
  promptFile: "/data/attempts/3-1/prompt.md",
  issueNumber: 12,
  repoFullName: "acme/api",
  workdir: "/data/worktrees/3-1",
  attemptDir: "/data/attempts/3-1",
  settings,
});

const watches: HeartbeatWatch[] = [];
afterEach(() => {
  for (const watch of watches.splice(0)) watch.close();
});

function watch(dir: string, source: "files" | "stream-json-stdout" | "codex-json-stdout") {
  const costs: number[] = [];
  const w = watchHeartbeats({
    attemptDir: dir,
    source,
    clock: createClock(1),
    pollMs: 60_000, // scans happen on refresh() only
    onCost: (usd) => costs.push(usd),
  });
  watches.push(w);
  return { w, costs };
}

describe("claude-code summary", () => {
  it("reads cost, turns and the final message from the stream-json on stdout", async () => {
    const dir = attemptDir();
    copyFileSync(claudeFixture, join(dir, "stdout.log"));
    expect(await getAdapter("claude-code").summarize(dir)).toEqual({
      costUsd: 0.0421337,
      turns: 7,
      result: "The README title is now capitalised and the change is committed.",
    });
  });

  it("reports nothing for a run that printed no stream-json", async () => {
    const dir = attemptDir();
    writeFileSync(join(dir, "stdout.log"), "Error: not logged in\n");
    expect(await getAdapter("claude-code").summarize(dir)).toEqual({
      costUsd: null,
      turns: null,
      result: null,
    });
    expect(await getAdapter("claude-code").summarize(join(root, "missing"))).toEqual({
      costUsd: null,
      turns: null,
      result: null,
    });
  });

  it("beats on every line but states no cost the watch could stop a finished run on", () => {
    const dir = attemptDir();
    const lines = readFileSync(claudeFixture, "utf8").split("\n").filter(Boolean);
    const { w, costs } = watch(dir, "stream-json-stdout");
    writeFileSync(join(dir, "stdout.log"), `${lines.slice(0, -1).join("\n")}\n`);
    w.refresh();
    expect(w.beats()).toBe(lines.length - 1);
    // The result line, with its total cost, arrives just before claude exits: recorded at the
    // end by summarize(), never a reason to kill the run that already finished.
    appendFileSync(join(dir, "stdout.log"), `${lines.at(-1)}\n`);
    w.refresh();
    expect(w.beats()).toBe(lines.length);
    expect(w.costUsd()).toBeNull();
    expect(costs).toEqual([]);
  });
});

describe("codex exec --json", () => {
  it("parses each event of a recorded run", () => {
    const events = codexLines.map(parseCodexJsonLine);
    expect(events.map((e) => e?.type)).toEqual([
      "thread.started",
      "turn.started",
      "item.completed",
      "item.started",
      "item.completed",
      "item.completed",
      "item.started",
      "item.completed",
      "item.updated",
      "item.completed",
      "turn.completed",
    ]);
    expect(events[5]).toEqual({
      type: "item.completed",
      itemType: "agent_message",
      text: "The title is lowercase; I will capitalise it.",
    });
    expect(events.at(-1)).toEqual({
      type: "turn.completed",
      usage: { inputTokens: 24763, cachedInputTokens: 24448, outputTokens: 122 },
      totalCostUsd: null,
    });
  });

  it.each([
    "",
    "Reading prompt from stdin...",
    '{"no":"type"}',
    '{"type":"item.completed"}',
    '{"type":"session.configured"}',
    "[1,2]",
  ])("ignores what is not a codex event: %j", (line) => {
    expect(parseCodexJsonLine(line)).toBeNull();
  });

  it("summarises turns, tokens and the last agent message, with no cost", () => {
    const summary = summarizeCodexJson(["not json", ...codexLines]);
    expect(summary).toEqual({
      events: 11,
      turns: 1,
      costUsd: null,
      result: "README.md now starts with `# API`.\n\nNo other files changed.",
      usage: { inputTokens: 24763, cachedInputTokens: 24448, outputTokens: 122 },
      error: null,
      threadId: "0199a213-81c0-7800-8aa1-bbab2a035a53",
    });
  });

  it("keeps a failed turn's message and takes a stated total cost", () => {
    const summary = summarizeCodexJson([
      '{"type":"turn.completed","usage":{"input_tokens":10,"output_tokens":5},"total_cost_usd":0.3}',
      '{"type":"turn.failed","error":{"message":"stream disconnected"}}',
    ]);
    expect(summary).toMatchObject({ turns: 1, costUsd: 0.3, error: "stream disconnected" });
  });

  it("the adapter summarises stdout.log; every event is a heartbeat", async () => {
    const dir = attemptDir();
    copyFileSync(codexFixture, join(dir, "stdout.log"));
    expect(await getAdapter("codex").summarize(dir)).toEqual({
      costUsd: null,
      turns: 1,
      result: "README.md now starts with `# API`.\n\nNo other files changed.",
    });
    const { w } = watch(dir, "codex-json-stdout");
    expect(w.beats()).toBe(11);
    expect(w.costUsd()).toBeNull();
  });

  it("launches codex exec with JSON events, the sandbox and the prompt on stdin", () => {
    const adapter = getAdapter("codex");
    const launch = adapter.launch(ctx(undefined));
    expect(launch.argv).toEqual(["codex", "exec", "--json", "--sandbox", "workspace-write", "-"]);
    expect(launch.stdinFile).toBe("/data/attempts/3-1/prompt.md");
    expect(adapter.heartbeat).toBe("codex-json-stdout");
    expect(adapter.defaultPassthrough).toContain("OPENAI_API_KEY");
    expect(
      adapter.launch(
        ctx({
          binary: "/opt/codex",
          model: "gpt-5-codex",
          sandbox: "read-only",
          skipGitRepoCheck: true,
        }),
      ).argv,
    ).toEqual([
      "/opt/codex",
      "exec",
      "--json",
      "--sandbox",
      "read-only",
      "--model",
      "gpt-5-codex",
      "--skip-git-repo-check",
      "-",
    ]);
    expect(() => adapter.launch(ctx({ sandbox: "none" }))).toThrow(/invalid codex agent settings/);
    expect(adapter.requires({ binary: "/opt/codex" })).toMatchObject({ binary: "/opt/codex" });
    expect(adapter.requires(undefined).install).toMatch(/@openai\/codex/);
  });
});

describe("aider adapter", () => {
  const adapter = getAdapter("aider");

  it("runs one scripted message; its output is its heartbeat", () => {
    const launch = adapter.launch(ctx({ model: "sonnet" }));
    expect(launch.argv[0]).toBe("aider");
    expect(launch.argv.slice(1, 4)).toEqual([
      "--message-file",
      "/data/attempts/3-1/prompt.md",
      "--yes-always",
    ]);
    expect(launch.argv).toEqual(
      expect.arrayContaining(["--no-pretty", "--no-auto-commits", "--no-gitignore"]),
    );
    // histories stay out of the worktree, so they never reach the pull request
    expect(launch.argv).toEqual(
      expect.arrayContaining([
        "--chat-history-file",
        "/data/attempts/3-1/aider.chat.history.md",
        "--input-history-file",
        "/data/attempts/3-1/aider.input.history",
      ]),
    );
    expect(launch.argv.slice(-2)).toEqual(["--model", "sonnet"]);
    expect(launch.beatOnOutput).toBe(true);
    expect(launch.stdinFile).toBeUndefined();
    expect(adapter.heartbeat).toBe("files");
    expect(adapter.textOutput).toEqual(["stdout.log", "stderr.log"]);
    expect(adapter.requires({ binary: "/opt/aider" }).binary).toBe("/opt/aider");
    expect(() => adapter.launch(ctx({ model: "" }))).toThrow(/invalid aider agent settings/);
  });

  it("reports nothing: its text is never parsed", async () => {
    const dir = attemptDir();
    writeFileSync(
      join(dir, "stdout.log"),
      "Tokens: 2.1k sent. Cost: $0.01 message, $0.05 session.\n",
    );
    expect(await adapter.summarize(dir)).toEqual({ costUsd: null, turns: null, result: null });
  });
});

describe("command adapter reports through FLEET_EVENTS_FILE", () => {
  it.each([
    ['{"type":"cost","usd":0.42}', { type: "cost", usd: 0.42 }],
    ['{"type":"cost","usd":-1}', { type: "other" }],
    ['{"type":"cost","usd":"0.42"}', { type: "other" }],
    ['{"type":"result","text":"done","turns":3}', { type: "result", text: "done", turns: 3 }],
    ['{"step":"tests"}', { type: "other" }],
    ["42", { type: "other" }],
    ["not json", null],
  ])("reads %s", (line, expected) => {
    expect(parseFleetEventLine(line)).toEqual(expected);
  });

  it("summarises the latest cost and the result; each line is a heartbeat", async () => {
    const dir = attemptDir();
    writeFileSync(
      join(dir, "events.jsonl"),
      [
        '{"type":"cost","usd":0.1}',
        '{"step":"edit"}',
        '{"type":"cost","usd":0.35}',
        '{"type":"result","text":"Shouted the README.","turns":4}',
        "",
      ].join("\n"),
    );
    expect(await getAdapter("command").summarize(dir)).toEqual({
      costUsd: 0.35,
      turns: 4,
      result: "Shouted the README.",
    });
    const { w, costs } = watch(dir, "files");
    expect(w.beats()).toBe(4);
    expect(w.costUsd()).toBe(0.35);
    expect(costs).toEqual([0.35]);
    appendFileSync(join(dir, "events.jsonl"), '{"type":"cost","usd":0.5}\n');
    w.refresh();
    expect(costs).toEqual([0.35, 0.5]);
  });
});

describe("getAdapter", () => {
  it("knows all four adapters, each naming the program it needs", () => {
    for (const name of ["command", "claude-code", "codex", "aider"]) {
      const adapter = getAdapter(name);
      expect(adapter.name).toBe(name);
      expect(adapter.requires(undefined).install.length).toBeGreaterThan(10);
    }
  });
});
