import { describe, expect, it } from "vitest";
import { getAdapter } from "../../src/runner/adapters/index.js";
import type { AgentLaunchContext } from "../../src/runner/adapters/types.js";

const ctx = (settings: unknown): AgentLaunchContext => ({
  promptFile: "/data/attempts/3-1/prompt.md",
  issueNumber: 12,
  repoFullName: "acme/api",
  workdir: "/data/worktrees/3-1",
  attemptDir: "/data/attempts/3-1",
  settings,
});

describe("command adapter", () => {
  const adapter = getAdapter("command");

  it("substitutes placeholders per argv element", () => {
    const launch = adapter.launch(
      ctx({
        command: [
          "my-agent",
          "--prompt-file",
          "{promptFile}",
          "--issue={issueNumber}",
          "{workdir}:{attemptDir}",
          "{repoFullName}",
        ],
      }),
    );
    expect(launch.argv).toEqual([
      "my-agent",
      "--prompt-file",
      "/data/attempts/3-1/prompt.md",
      "--issue=12",
      "/data/worktrees/3-1:/data/attempts/3-1",
      "acme/api",
    ]);
    expect(launch.stdinFile).toBeUndefined();
  });

  it("never interprets shell syntax", () => {
    const launch = adapter.launch(ctx({ command: ["agent", "$(rm -rf /); echo {issueNumber}"] }));
    expect(launch.argv).toEqual(["agent", "$(rm -rf /); echo 12"]);
  });

  it("names an unknown placeholder", () => {
    expect(() => adapter.launch(ctx({ command: ["agent", "{token}"] }))).toThrow(
      /unknown placeholder \{token\}.*\{promptFile\}/,
    );
  });

  it("requires a command", () => {
    expect(() => adapter.launch(ctx({}))).toThrow(/invalid command agent settings/);
    expect(() => adapter.launch(ctx({ command: [] }))).toThrow(/at least the program/);
  });
});

describe("claude-code adapter", () => {
  const adapter = getAdapter("claude-code");

  it("runs claude in print mode with stream-json and the prompt on stdin", () => {
    const launch = adapter.launch(ctx(undefined));
    expect(launch.argv).toEqual(["claude", "-p", "--output-format", "stream-json", "--verbose"]);
    expect(launch.stdinFile).toBe("/data/attempts/3-1/prompt.md");
    expect(adapter.defaultPassthrough).toContain("ANTHROPIC_API_KEY");
  });

  it("adds model, turn limit and permission mode from settings", () => {
    const launch = adapter.launch(
      ctx({ model: "sonnet", maxTurns: 40, permissionMode: "acceptEdits", command: ["ignored"] }),
    );
    expect(launch.argv).toEqual([
      "claude",
      "-p",
      "--output-format",
      "stream-json",
      "--verbose",
      "--model",
      "sonnet",
      "--max-turns",
      "40",
      "--permission-mode",
      "acceptEdits",
    ]);
  });

  it("rejects nonsense settings", () => {
    expect(() => adapter.launch(ctx({ maxTurns: -1 }))).toThrow(/invalid claude-code/);
  });
});

describe("getAdapter", () => {
  it("refuses unknown adapters, including prototype names", () => {
    expect(() => getAdapter("gemini")).toThrow(/unknown agent adapter "gemini"/);
    expect(() => getAdapter("toString")).toThrow(/unknown agent adapter/);
  });
});
