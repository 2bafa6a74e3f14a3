import { join } from "node:path";
import { z } from "zod";
import type { AgentAdapter } from "./types.js";

const settingsSchema = z
  .object({
    /** The aider executable; a path lets a host pin a version or a test use a stand-in. */
    binary: z.string().min(1).default("aider"),
    model: z.string().min(1).optional(),
  })
  .default({ binary: "aider" });

function parseSettings(settings: unknown) {
  return settingsSchema.safeParse(settings ?? undefined);
}

/**
 * aider, scripted: `aider --message-file <prompt> --yes-always --no-pretty …` does the one
 * message and exits. Needs the `aider` binary on the runner's PATH (or `binary`).
 *
 * aider has no structured status stream, so the wrapper touches FLEET_HEARTBEAT_FILE whenever
 * aider writes any output (beatOnOutput). That is a weaker signal than a stream of events: it
 * says the process is producing bytes, not what it is doing. It is enough here because the stall
 * timeout only has to tell a working agent from a hung one: streaming stays on, so a model reply
 * in progress shows up token by token, and edits, commands and errors are all printed. A silent
 * aider is waiting on nothing we can see, which is exactly what the stall timeout is for. The
 * text itself is never parsed, so aider reports no cost or turns (its cost lines are prose).
 *
 * Its chat and input histories go to the attempt folder, it neither commits (the fleet does)
 * nor edits .gitignore, and its repo-map cache in the worktree is scratch.
 */
export const aiderAdapter: AgentAdapter = {
  name: "aider",
  heartbeat: "files",
  defaultPassthrough: ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"],
  textOutput: ["stdout.log", "stderr.log"],
  scratch: [".aider.tags.cache.v*"],
  requires(settings) {
    const parsed = parseSettings(settings);
    return {
      binary: parsed.success ? parsed.data.binary : "aider",
      install: "aider (`aider`), from the Python package aider-chat, e.g. with pipx",
    };
  },
  launch(ctx) {
    const parsed = parseSettings(ctx.settings);
    if (!parsed.success) {
      throw new Error(`invalid aider agent settings: ${z.prettifyError(parsed.error)}`);
    }
    const s = parsed.data;
    const argv = [
      s.binary,
      "--message-file",
      ctx.promptFile,
      "--yes-always",
      "--no-pretty",
      "--no-auto-commits",
      "--no-gitignore",
      "--no-check-update",
      "--no-show-release-notes",
      "--no-analytics",
      "--chat-history-file",
      join(ctx.attemptDir, "aider.chat.history.md"),
      "--input-history-file",
      join(ctx.attemptDir, "aider.input.history"),
    ];
    if (s.model) argv.push("--model", s.model);
    return { argv, beatOnOutput: true };
  },
  async summarize() {
    return { costUsd: null, turns: null, result: null };
  },
};
