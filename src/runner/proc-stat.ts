import { readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";

/**
 * A pid alone can be recycled; pid plus the kernel's start time (clock ticks since boot,
 * /proc/<pid>/stat field 22) identifies one process for its whole life.
 */
export interface ProcStat {
  state: string;
  pgrp: number;
  startTime: bigint;
}

export async function readProcStat(pid: number): Promise<ProcStat | null> {
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return null;
  }
}

/** Synchronous, for reading a child's identity before the event loop can reap it. */
export function readProcStatSync(pid: number): ProcStat | null {
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return null;
  }
}

function parseProcStat(text: string): ProcStat | null {
  // comm (field 2) may hold spaces and parens, so count fields after the last ")"
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const [state, , pgrp] = fields; // fields 3, 4, 5
  const start = fields[19]; // field 22
  if (state === undefined || pgrp === undefined || start === undefined) return null;
  return { state, pgrp: Number(pgrp), startTime: BigInt(start) };
}

export async function readProcStartTime(pid: number): Promise<bigint | null> {
  return (await readProcStat(pid))?.startTime ?? null;
}

/** True while the very process we started still runs; a zombie has already exited. */
export async function isSameProcess(pid: number, startTime: bigint): Promise<boolean> {
  const stat = await readProcStat(pid);
  return stat !== null && stat.startTime === startTime && !isDead(stat.state);
}

/** Pids of living members of a process group (orphaned zombies left unreaped don't count). */
export async function livingGroupMembers(pgid: number): Promise<number[]> {
  return (await scanGroups()).get(pgid) ?? [];
}

let scanning: Promise<Map<number, number[]>> | null = null;

/**
 * One pass over /proc, shared by every caller that asks while it runs: stopping 200 agents at
 * once then costs one scan per poll round, not 200.
 */
function scanGroups(): Promise<Map<number, number[]>> {
  scanning ??= (async () => {
    const names = await readdir("/proc").catch(() => [] as string[]);
    const groups = new Map<number, number[]>();
    await Promise.all(
      names.map(async (name) => {
        if (!/^\d+$/.test(name)) return;
        const stat = await readProcStat(Number(name));
        if (!stat || isDead(stat.state)) return;
        const members = groups.get(stat.pgrp);
        if (members) members.push(Number(name));
        else groups.set(stat.pgrp, [Number(name)]);
      }),
    );
    return groups;
  })().finally(() => {
    scanning = null;
  });
  return scanning;
}

function isDead(state: string): boolean {
  return state === "Z" || state === "X";
}
