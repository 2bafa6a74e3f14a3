import { join } from "node:path";
import { z } from "zod";
import { STDOUT_FILE } from "../agent-process.js";
import { summarizeStdoutEvents } from "./read-lines.js";
import { summarizeStreamJson } from "./stream-json.js";
import type { AgentAdapter } from "./types.js";

const settingsSchema = z
  .object({
    /** The claude executable; a path lets a host pin a version or a test use a stand-in. */
    binary: z.string().min(1).default("claude"),
    model: z.string().min(1).optional(),
    maxTurns: z.number().int().positive().optional(),
    permissionMode: z.string().min(1).optional(),
  })
  .default({ binary: "claude" });

/**
 * Claude Code in print mode (`claude -p --output-format stream-json --verbose`, the prompt on
 * stdin). Needs the `claude` binary on the runner's PATH (or `binary`). stream-json gives one
 * event per step, which is the heartbeat; its final `result` line carries the cost, the turn
 * count and the final message. stdout is that JSON, so the log tail reads stderr.
 */
export const claudeCodeAdapter: AgentAdapter = {
  name: "claude-code",
  heartbeat: "stream-json-stdout",
  defaultPassthrough: ["ANTHROPIC_API_KEY"],
  textOutput: ["stderr.log"],
  summarize(attemptDir) {
    return summarizeStdoutEvents(join(attemptDir, STDOUT_FILE), summarizeStreamJson);
  },
  requires(settings) {
    const parsed = settingsSchema.safeParse(settings ?? undefined);
    return {
      binary: parsed.success ? parsed.data.binary : "claude",
      install: "Claude Code CLI (`claude`), from Anthropic's npm package @anthropic-ai/claude-code",
    };
  },
  launch(ctx) {
    const parsed = settingsSchema.safeParse(ctx.settings ?? undefined);
    if (!parsed.success) {
      throw new Error(`invalid claude-code agent settings: ${z.prettifyError(parsed.error)}`);
    }
    const s = parsed.data;
    const argv = [s.binary, "-p", "--output-format", "stream-json", "--verbose"];
    if (s.model) argv.push("--model", s.model);
    if (s.maxTurns !== undefined) argv.push("--max-turns", String(s.maxTurns));
    if (s.permissionMode) argv.push("--permission-mode", s.permissionMode);
    return { argv, stdinFile: ctx.promptFile };
  },
};
