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
  const names = await readdir("/proc").catch(() => [] as string[]);
  const members: number[] = [];
  await Promise.all(
    names.map(async (name) => {
      if (!/^\d+$/.test(name)) return;
      const stat = await readProcStat(Number(name));
      if (stat && stat.pgrp === pgid && !isDead(stat.state)) members.push(Number(name));
    }),
  );
  return members;
}

function isDead(state: string): boolean {
  return state === "Z" || state === "X";
}
