import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { type AgentConfig, agentSchema } from "../../config/fleet-config.js";
import { getAdapter } from "../../runner/adapters/index.js";
import type { AgentAdapter } from "../../runner/adapters/types.js";
import type { CheckResult } from "./types.js";

/** The program as the runner would exec it: a path as given, or the first match on PATH. */
export async function findOnPath(program: string, pathVar: string | undefined) {
  const candidates =
    program.includes("/") || isAbsolute(program)
      ? [resolve(program)]
      : (pathVar ?? "")
          .split(delimiter)
          .filter(Boolean)
          .map((dir) => join(dir, program));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The program of every adapter in this build. The configured one (the repository's adapter given
 * with --config, else the command adapter when FLEET_AGENT_COMMAND is set) is required; the
 * others are reported as optional.
 */
export async function checkAgents(input: {
  env: NodeJS.ProcessEnv;
  defaultAgentCommand: string[] | undefined;
  agent: AgentConfig | undefined;
}): Promise<CheckResult[]> {
  const configured = input.agent?.adapter ?? (input.defaultAgentCommand ? "command" : undefined);
  const results: CheckResult[] = [];
  if (!configured) {
    results.push({
      name: "agent",
      status: "warn",
      detail: "FLEET_AGENT_COMMAND is not set",
      hint: "set it, or make sure every repository's fleet.yml names its agent (agent.adapter or agent.command)",
    });
  }
  for (const name of agentSchema.shape.adapter.unwrap().options) {
    let adapter: AgentAdapter;
    try {
      adapter = getAdapter(name);
    } catch {
      continue; // not in this build
    }
    const required = name === configured;
    const label = required ? `agent ${name}` : `agent ${name} (optional)`;
    const settings =
      name === "command"
        ? { ...input.agent, command: input.agent?.command ?? input.defaultAgentCommand }
        : required
          ? input.agent
          : undefined;
    const { binary, install } = adapter.requires(settings);
    if (binary === null) {
      results.push(
        required
          ? {
              name: label,
              status: "fail",
              detail: "no command configured",
              hint: "set FLEET_AGENT_COMMAND or agent.command",
            }
          : {
              name: label,
              status: "skip",
              detail: "each repository's fleet.yml names the program",
            },
      );
      continue;
    }
    const found = await findOnPath(binary, input.env.PATH);
    results.push(
      found
        ? { name: label, status: "pass", detail: `${binary} at ${found}` }
        : {
            name: label,
            status: required ? "fail" : "warn",
            detail: `${binary} not found on PATH`,
            hint: install,
          },
    );
  }
  return results;
}
