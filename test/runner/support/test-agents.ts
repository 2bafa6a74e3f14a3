import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll } from "vitest";
import type { AgentLaunch } from "../../../src/runner/adapters/types.js";
import { type AgentLease, buildAgentEnv, spawnAgent } from "../../../src/runner/agent-process.js";

export const sh = (script: string): AgentLaunch => ({ argv: ["sh", "-c", script] });

/**
 * Spawns real agents under `root` for one test file, and SIGKILLs every group it started when
 * the file ends, so a failed test never leaves agents behind.
 */
export function testAgents(root: string, issueNumber: number) {
  const groups: number[] = [];
  afterAll(() => {
    for (const pgid of groups) {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {}
    }
  });
  async function start(
    name: string,
    launch: AgentLaunch,
    options: { passthrough?: string[]; lease?: AgentLease } = {},
  ) {
    const attemptDir = join(root, name);
    const env = buildAgentEnv({
      attemptDir,
      workdir: root,
      issueNumber,
      ...(options.passthrough ? { passthrough: options.passthrough } : {}),
    });
    const startedAtMs = Date.now();
    const agent = await spawnAgent({
      launch,
      cwd: attemptDir,
      env,
      attemptDir,
      ...(options.lease ? { lease: options.lease } : {}),
    });
    groups.push(agent.pid);
    const read = (file: string) =>
      existsSync(join(attemptDir, file)) ? readFileSync(join(attemptDir, file), "utf8") : "";
    return { ...agent, attemptDir, startedAtMs, read };
  }
  return { start, track: (pgid: number) => groups.push(pgid) };
}
