import { writeFileSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** What the agent was started for; a rebase that hit conflicts continues as resolve_conflict. */
export type AgentWork = "implement" | "fix" | "resolve_conflict";

/** What a restarted runner needs to finish an attempt it did not start: kept in its folder. */
export interface AttemptMeta {
  branch: string;
  /** The default branch's head when the worktree was made. */
  baseSha: string;
  worktreeDir: string;
  startedAtMs: number;
  adapter: string;
  /** Absent in folders written before PR work existed: implement. */
  work?: AgentWork;
  /** Where the branch stood before the agent: the PR's head for fix and conflict work. */
  startSha?: string;
  /** resolve_conflict: the files the merge left conflict markers in. */
  conflictFiles?: string[];
}

const META_FILE = "attempt.json";

export async function writeAttemptMeta(attemptDir: string, meta: AttemptMeta): Promise<void> {
  const path = join(attemptDir, META_FILE);
  await writeFile(`${path}.tmp`, JSON.stringify(meta));
  await rename(`${path}.tmp`, path);
}

export async function readAttemptMeta(attemptDir: string): Promise<AttemptMeta | null> {
  try {
    return JSON.parse(await readFile(join(attemptDir, META_FILE), "utf8")) as AttemptMeta;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

const AGENT_FILE = "agent.json";

/**
 * The agent's identity, written in the same tick as its spawn: a runner killed before the pid
 * reached the database still finds its agent after a restart, instead of starting another beside
 * it.
 */
export function writeAgentIdentity(attemptDir: string, agent: { pid: number; startTime: bigint }) {
  writeFileSync(
    join(attemptDir, AGENT_FILE),
    JSON.stringify({ pid: agent.pid, startTime: String(agent.startTime) }),
  );
}

export async function readAgentIdentity(
  attemptDir: string,
): Promise<{ pid: number; startTime: bigint } | null> {
  try {
    const raw = JSON.parse(await readFile(join(attemptDir, AGENT_FILE), "utf8")) as {
      pid: number;
      startTime: string;
    };
    return { pid: raw.pid, startTime: BigInt(raw.startTime) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

export function attemptDirFor(dataDir: string, taskId: number, attemptNumber: number): string {
  return join(dataDir, "attempts", `${taskId}-${attemptNumber}`);
}

export function worktreeDirFor(dataDir: string, taskId: number, attemptNumber: number): string {
  return join(dataDir, "worktrees", `${taskId}-${attemptNumber}`);
}

export function leaseFileFor(attemptDir: string): string {
  return join(attemptDir, "lease");
}
