import { readFile } from "node:fs/promises";

/** One line of the scripted agents' journal: the ground truth for counting dispatches. */
export interface JournalEntry {
  event: "start" | "end";
  key: string;
  pid: number;
  at: number;
  attempt: number;
  behavior?: string;
  code?: number;
}

export async function readJournal(path: string): Promise<JournalEntry[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
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
