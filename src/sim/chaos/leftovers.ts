import { readFileSync } from "node:fs";
import { readProcStatSync } from "../../runner/proc-stat.js";
import type { JournalEntry } from "../journal.js";
import { isAgentAlive } from "../orphans.js";

/** Every process a simulation started, handed out before its last-resort cleanup. */
export interface SpawnedProcesses {
  runners: readonly number[];
  servers: readonly number[];
  /** Runner and server processes that exited without being told to. */
  crashes: readonly string[];
  /** The agents' journal: each agent's pid and start time, and its wrapper's pid (ppid). */
  journal: readonly JournalEntry[];
}

export interface Leftover {
  role: "runner" | "server" | "agent" | "wrapper";
  pid: number;
}

/**
 * Processes of the simulation still alive. A pid alone can be recycled, so each is matched on
 * what it must be: an agent by its kernel start time, a runner or server by its `fleet` command
 * line, a wrapper by the wrapper's script.
 */
export function leftoverProcesses(spawned: SpawnedProcesses): Leftover[] {
  const left: Leftover[] = [];
  const fleet = (pid: number) => runs(pid, "bin/fleet.js");
  for (const pid of spawned.runners) if (fleet(pid)) left.push({ role: "runner", pid });
  for (const pid of spawned.servers) if (fleet(pid)) left.push({ role: "server", pid });
  const wrappers = new Set<number>();
  for (const entry of spawned.journal) {
    if (entry.event !== "start") continue;
    if (isAgentAlive(entry)) left.push({ role: "agent", pid: entry.pid });
    if (entry.ppid !== undefined) wrappers.add(entry.ppid);
  }
  for (const pid of wrappers) if (runs(pid, "agent-wrapper")) left.push({ role: "wrapper", pid });
  return left;
}

function runs(pid: number, marker: string): boolean {
  const stat = readProcStatSync(pid);
  if (stat === null || stat.state === "Z" || stat.state === "X") return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(marker);
  } catch {
    return false;
  }
}
