import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../support/db.js";
import { attemptHarness } from "./support/attempt-harness.js";
import { gitRemote } from "./support/git-remote.js";
import { tempDir } from "./support/temp-dir.js";

const root = tempDir("fleet-agent-report-");
const bin = join(root, "bin");
const fixture = fileURLToPath(new URL("../fixtures/claude-stream.jsonl", import.meta.url));
const seen = join(root, "claude-saw");
const database = useTestDatabase({ truncate: ["tasks", "attempts", "events"] });

/**
 * A stand-in named `claude`, found on PATH like the real CLI: it keeps its argv and the prompt
 * it got on stdin, edits the README, says something on stderr (naming the API key it was given,
 * which must never reach the dashboard) and prints a recorded stream-json run on stdout.
 */
mkdirSync(bin);
writeFileSync(
  join(bin, "claude"),
  `#!/bin/sh
printf '%s\\n' "$@" > '${seen}.argv'
cat > '${seen}.prompt'
printf '# API\\n' > README.md
echo "claude: warming up" >&2
echo "claude: the key $ANTHROPIC_API_KEY is mine" >&2
cat '${fixture}'
`,
);
chmodSync(join(bin, "claude"), 0o755);
process.env.PATH = `${bin}:${process.env.PATH ?? ""}`;

const harness = attemptHarness({ db: () => database.db, dataDir: join(root, "data") });

describe("what the agent reported, kept at the attempt's end", () => {
  it("stores claude-code's cost, turns and result, and puts the result in the PR body", async () => {
    const repo = gitRemote(root, "acme/claude");
    await harness.queue(repo, { agent: { adapter: "claude-code", model: "sonnet" } });
    const { task, calls, attempts } = await harness.claimAndRun({
      hostEnv: { ANTHROPIC_API_KEY: "sk-ant-planted-0123456789" },
    });

    expect(readFileSync(`${seen}.argv`, "utf8").split("\n")).toEqual([
      "-p",
      "--output-format",
      "stream-json",
      "--verbose",
      "--model",
      "sonnet",
      "",
    ]);
    expect(readFileSync(`${seen}.prompt`, "utf8")).toContain("Make the README shout");
    expect(task.state).toBe("pr_open");
    expect(attempts).toHaveLength(1);
    const [attempt] = attempts;
    expect(attempt).toMatchObject({
      outcome: "succeeded",
      costUsd: 0.0421337,
      turns: 7,
      resultText: "The README title is now capitalised and the change is committed.",
    });
    // stdout is JSON, so the tail is stderr, with the key the agent was given blanked out
    expect(attempt?.logTail).toBe("claude: warming up\nclaude: the key [redacted] is mine");

    const body = calls.pulls[0]?.body ?? "";
    expect(body).toContain("| cost (reported) | $0.04 |");
    expect(body).toContain("| turns | 7 |");
    expect(body).toContain(
      "### What the agent said\n\n```text\nThe README title is now capitalised and the change is committed.\n```",
    );
  });

  it("keeps a failed attempt's report and log tail too", async () => {
    const repo = gitRemote(root, "acme/command");
    const script = [
      `echo '{"type":"cost","usd":0.12}' >> "$FLEET_EVENTS_FILE"`,
      `echo '{"type":"result","text":"I could not find the file.","turns":2}' >> "$FLEET_EVENTS_FILE"`,
      'i=1; while [ $i -le 30 ]; do echo "step $i"; i=$((i+1)); done',
      "echo 'giving up' >&2",
      'echo "my key was $LLM_KEY" >&2',
      "exit 3",
    ].join("\n");
    // in a file: agent.command would read the JSON's braces as placeholders
    writeFileSync(join(root, "failing-agent.sh"), script);
    await harness.queue(repo, {
      agent: {
        adapter: "command",
        command: ["sh", join(root, "failing-agent.sh")],
        maxAttempts: 1,
        env: ["LLM_KEY"],
      },
    });
    const { task, attempts, calls } = await harness.claimAndRun({
      hostEnv: { LLM_KEY: "llm-key-planted-0123456789" },
    });
    expect(task.state).toBe("failed");
    expect(attempts[0]).toMatchObject({
      outcome: "crashed",
      exitCode: 3,
      costUsd: 0.12,
      turns: 2,
      resultText: "I could not find the file.",
    });
    // plain-text output: stdout and stderr share the tail, each under its name
    const tail = attempts[0]?.logTail ?? "";
    expect(tail.split("\n")).toEqual([
      "[stdout.log]",
      ...Array.from({ length: 20 }, (_, i) => `step ${i + 11}`),
      "[stderr.log]",
      "giving up",
      "my key was [redacted]",
    ]);
    // The failure comment's stderr tail is redacted the same way.
    expect(calls.comments).toHaveLength(1);
    expect(calls.comments[0]?.body).toContain("my key was [redacted]");
    expect(calls.comments[0]?.body).not.toContain("llm-key-planted");
  });
});
