import type { HeartbeatSource } from "../heartbeat.js";

/** What to exec for one attempt: never a shell string, always an argv. */
export interface AgentLaunch {
  argv: string[];
  /** Fed to the agent's stdin; /dev/null when absent. */
  stdinFile?: string;
  /** Extra variables on top of the runner's allow-listed agent environment. */
  env?: Record<string, string>;
}

export interface AgentLaunchContext {
  promptFile: string;
  issueNumber: number;
  repoFullName: string;
  workdir: string;
  attemptDir: string;
  /** The adapter's own block of fleet.yml; each adapter validates it. */
  settings: unknown;
}

/** The program an adapter runs, so `fleet doctor` can look for it and the README can name it. */
export interface AgentBinary {
  /** argv[0] as the adapter would run it with these settings; null when the repo supplies it. */
  binary: string | null;
  /** Where to get it, one line. */
  install: string;
}

export interface AgentAdapter {
  name: "command" | "claude-code" | "codex" | "aider";
  /** The program this adapter needs with the given fleet.yml agent settings. */
  requires(settings: unknown): AgentBinary;
  /** Variables the adapter needs from the runner's environment (e.g. an API key). */
  defaultPassthrough: readonly string[];
  /** How this agent proves it is alive; the supervisor watches only that. */
  heartbeat: HeartbeatSource;
  launch(ctx: AgentLaunchContext): AgentLaunch;
}
