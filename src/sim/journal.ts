import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";

/** One line of the scripted agents' journal: the ground truth for counting dispatches. */
export interface JournalEntry {
  /** start, a natural or SIGTERM end, or a signal the agent noticed and ignored. */
  event: "start" | "end" | "signal";
  key: string;
  pid: number;
  at: number;
  attempt: number;
  behavior?: string;
  /** On start: the wrapper's pid (the attempt's recorded pid) and our /proc start time. */
  ppid?: number;
  startTime?: string;
  code?: number;
  /** On end: "exit" when the agent finished by itself, "sigterm" when it was told to stop. */
  reason?: "exit" | "sigterm";
  signal?: string;
  ignored?: boolean;
}

export async function readJournal(path: string): Promise<JournalEntry[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  return parseJournal(text);
}

/** For an exit handler, where nothing asynchronous runs any more. */
export function readJournalSync(path: string): JournalEntry[] {
  try {
    return parseJournal(readFileSync(path, "utf8"));
  } catch {
    return [];
  }
}

function parseJournal(text: string): JournalEntry[] {
  return text
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as JournalEntry);
}

export function startsByIssue(entries: readonly JournalEntry[]): Map<string, JournalEntry[]> {
  const starts = new Map<string, JournalEntry[]>();
  for (const entry of entries) {
    if (entry.event !== "start") continue;
    starts.set(entry.key, [...(starts.get(entry.key) ?? []), entry]);
  }
  return starts;
}
