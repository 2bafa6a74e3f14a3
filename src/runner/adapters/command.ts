import { join } from "node:path";
import { z } from "zod";
import { EVENTS_FILE } from "../agent-process.js";
import { summarizeFleetEvents } from "./fleet-events.js";
import { NOTHING_REPORTED, readLines } from "./read-lines.js";
import type { AgentAdapter, AgentLaunchContext } from "./types.js";

const settingsSchema = z.object({
  command: z.array(z.string()).min(1, "agent.command needs at least the program to run"),
});

const PLACEHOLDER = /\{([^{}]*)\}/g;

/**
 * Runs any program named by agent.command (or the runner's FLEET_AGENT_COMMAND); placeholders
 * are substituted per argv element, never through a shell. It proves it is alive by touching
 * $FLEET_HEARTBEAT_FILE or appending JSON lines to $FLEET_EVENTS_FILE, and may report on its run
 * there (see fleet-events.ts): `{"type":"cost","usd":0.42}` is its total cost so far, which
 * agent.maxCostUsd and budget.dailyUsd hold it to; `{"type":"result","text":"…","turns":3}` is
 * its final message for the pull request.
 */
export const commandAdapter: AgentAdapter = {
  name: "command",
  heartbeat: "files",
  defaultPassthrough: [],
  textOutput: ["stdout.log", "stderr.log"],
  async summarize(attemptDir) {
    try {
      return summarizeFleetEvents(await readLines(join(attemptDir, EVENTS_FILE)));
    } catch {
      return NOTHING_REPORTED;
    }
  },
  requires(settings) {
    const parsed = settingsSchema.safeParse(settings);
    return {
      binary: parsed.success ? (parsed.data.command[0] ?? null) : null,
      install: "any program, named by agent.command or FLEET_AGENT_COMMAND",
    };
  },
  launch(ctx) {
    const parsed = settingsSchema.safeParse(ctx.settings);
    if (!parsed.success) {
      throw new Error(`invalid command agent settings: ${z.prettifyError(parsed.error)}`);
    }
    return { argv: parsed.data.command.map((arg) => substitute(arg, ctx)) };
  },
};

function substitute(arg: string, ctx: AgentLaunchContext): string {
  const values: Record<string, string> = {
    promptFile: ctx.promptFile,
    issueNumber: String(ctx.issueNumber),
    repoFullName: ctx.repoFullName,
    workdir: ctx.workdir,
    attemptDir: ctx.attemptDir,
  };
  return arg.replace(PLACEHOLDER, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) {
      throw new Error(
        `unknown placeholder {${name}} in agent.command "${arg}"; known: ${Object.keys(values)
          .map((k) => `{${k}}`)
          .join(", ")}`,
      );
    }
    return value;
  });
}
