import { readProcStatSync } from "../runner/proc-stat.js";
import type { JournalEntry } from "./journal.js";

/** True while this very agent runs: same pid, same kernel start time, and not a zombie. */
export function isAgentAlive(agent: { pid: number; startTime?: string | undefined }): boolean {
  const stat = readProcStatSync(agent.pid);
  if (stat === null || stat.state === "Z" || stat.state === "X") return false;
  return agent.startTime === undefined || stat.startTime === BigInt(agent.startTime);
}

/** Journal agents that still run. */
export function livingAgents(journal: readonly JournalEntry[]): JournalEntry[] {
  return journal.filter((e) => e.event === "start" && isAgentAlive(e));
}

/**
 * The simulator's last word: SIGKILL every agent still alive, with its whole process group (the
 * wrapper's), so nothing outlives a simulation. Called after orphans were counted.
 */
export function killLeftoverAgents(journal: readonly JournalEntry[]): number {
  const ownGroup = readProcStatSync(process.pid)?.pgrp;
  let killed = 0;
  for (const agent of livingAgents(journal)) {
    const stat = readProcStatSync(agent.pid);
    // never our own group: an agent spawned without its own group must not take us down
    const group = stat && stat.pgrp > 1 && stat.pgrp !== ownGroup ? -stat.pgrp : undefined;
    for (const target of [group, agent.pid]) {
      if (target === undefined) continue;
      try {
        process.kill(target, "SIGKILL");
      } catch {
        // already gone
      }
    }
    killed += 1;
  }
  return killed;
}
