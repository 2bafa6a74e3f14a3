import { z } from "zod";
import type { AgentAdapter, AgentLaunchContext } from "./types.js";

const settingsSchema = z.object({
  command: z.array(z.string()).min(1, "agent.command needs at least the program to run"),
});

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** Runs any program; placeholders are substituted per argv element, never through a shell. */
export const commandAdapter: AgentAdapter = {
  name: "command",
  heartbeat: "files",
  defaultPassthrough: [],
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
