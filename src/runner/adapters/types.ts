import type { HeartbeatSource } from "../heartbeat.js";

/** What to exec for one attempt: never a shell string, always an argv. */
export interface AgentLaunch {
  argv: string[];
  /** Fed to the agent's stdin; /dev/null when absent. */
  stdinFile?: string;
  /** Extra variables on top of the runner's allow-listed agent environment. */
  env?: Record<string, string>;
  /**
   * The wrapper touches FLEET_HEARTBEAT_FILE whenever the agent writes output: for agents with
   * no structured status stream of their own.
   */
  beatOnOutput?: boolean;
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

/** What an agent reported of its own run; null where it said nothing. */
export interface AgentSummary {
  costUsd: number | null;
  turns: number | null;
  /** Its final message, as it wrote it: agent output, never trusted. */
  result: string | null;
}

/** The agent's output files in the attempt folder. */
export type AgentOutputFile = "stdout.log" | "stderr.log";

export interface AgentAdapter {
  name: "command" | "claude-code" | "codex" | "aider";
  /** The program this adapter needs with the given fleet.yml agent settings. */
  requires(settings: unknown): AgentBinary;
  /** Variables the adapter needs from the runner's environment (e.g. an API key). */
  defaultPassthrough: readonly string[];
  /** How this agent proves it is alive; the supervisor watches only that. */
  heartbeat: HeartbeatSource;
  launch(ctx: AgentLaunchContext): AgentLaunch;
  /**
   * Reads what the agent reported (cost, turns, final text) from its attempt folder once it
   * ended; never throws. The one place follow/conclude learn about a run, whatever the agent.
   */
  summarize(attemptDir: string): Promise<AgentSummary>;
  /** The output files that hold human-readable text, for the log tail the dashboard shows. */
  textOutput: readonly AgentOutputFile[];
  /**
   * Globs of top-level worktree entries the agent creates as its own scratch (caches, history):
   * removed before the fleet commits, so they never reach a pull request.
   */
  scratch?: readonly string[];
}
