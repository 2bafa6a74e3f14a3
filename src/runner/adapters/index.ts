import { aiderAdapter } from "./aider.js";
import { claudeCodeAdapter } from "./claude-code.js";
import { codexAdapter } from "./codex.js";
import { commandAdapter } from "./command.js";
import type { AgentAdapter } from "./types.js";

export type {
  AgentAdapter,
  AgentLaunch,
  AgentLaunchContext,
  AgentSummary,
} from "./types.js";

const adapters: Partial<Record<AgentAdapter["name"], AgentAdapter>> = {
  command: commandAdapter,
  "claude-code": claudeCodeAdapter,
  codex: codexAdapter,
  aider: aiderAdapter,
};

export function getAdapter(name: string): AgentAdapter {
  if (!Object.hasOwn(adapters, name)) {
    throw new Error(`unknown agent adapter "${name}"; known: ${Object.keys(adapters).join(", ")}`);
  }
  const adapter = adapters[name as AgentAdapter["name"]];
  if (!adapter) throw new Error(`agent adapter "${name}" is not available in this build`);
  return adapter;
}
