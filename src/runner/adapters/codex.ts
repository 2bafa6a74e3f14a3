import { join } from "node:path";
import { z } from "zod";
import { STDOUT_FILE } from "../agent-process.js";
import { summarizeCodexJson } from "./codex-json.js";
import { summarizeStdoutEvents } from "./read-lines.js";
import type { AgentAdapter } from "./types.js";

const settingsSchema = z
  .object({
    /** The codex executable; a path lets a host pin a version or a test use a stand-in. */
    binary: z.string().min(1).default("codex"),
    model: z.string().min(1).optional(),
    /** workspace-write: the agent edits its worktree and nothing else. */
    sandbox: z
      .enum(["read-only", "workspace-write", "danger-full-access"])
      .default("workspace-write"),
    /** The worktree is a git checkout, so codex's own repository check passes without this. */
    skipGitRepoCheck: z.boolean().default(false),
  })
  .default({ binary: "codex", sandbox: "workspace-write", skipGitRepoCheck: false });

function parseSettings(settings: unknown) {
  return settingsSchema.safeParse(settings ?? undefined);
}

/**
 * OpenAI's Codex CLI, non-interactive: `codex exec --json --sandbox workspace-write -`, the
 * prompt on stdin (`-`), so it stays out of argv and /proc. Needs the `codex` binary on the
 * runner's PATH (or `binary`). `--json` prints one JSON event per line on stdout: each is a
 * heartbeat, turn.completed counts the turns and the last agent_message is the result. Codex
 * reports tokens but no cost, so cost stays null and agent.maxCostUsd never stops it unless the
 * stream states a total cost. stdout is JSON, so the log tail reads stderr.
 */
export const codexAdapter: AgentAdapter = {
  name: "codex",
  heartbeat: "codex-json-stdout",
  defaultPassthrough: ["OPENAI_API_KEY", "CODEX_API_KEY"],
  textOutput: ["stderr.log"],
  requires(settings) {
    const parsed = parseSettings(settings);
    return {
      binary: parsed.success ? parsed.data.binary : "codex",
      install: "OpenAI Codex CLI (`codex`), from the npm package @openai/codex",
    };
  },
  launch(ctx) {
    const parsed = parseSettings(ctx.settings);
    if (!parsed.success) {
      throw new Error(`invalid codex agent settings: ${z.prettifyError(parsed.error)}`);
    }
    const s = parsed.data;
    const argv = [s.binary, "exec", "--json", "--sandbox", s.sandbox];
    if (s.model) argv.push("--model", s.model);
    if (s.skipGitRepoCheck) argv.push("--skip-git-repo-check");
    argv.push("-");
    return { argv, stdinFile: ctx.promptFile };
  },
  summarize(attemptDir) {
    return summarizeStdoutEvents(join(attemptDir, STDOUT_FILE), summarizeCodexJson);
  },
};
