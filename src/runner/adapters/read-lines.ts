import { readFile } from "node:fs/promises";
import type { AgentSummary } from "./types.js";

/** A file's non-empty lines; none when it does not exist (the agent never wrote it). */
export async function readLines(path: string): Promise<string[]> {
  try {
    return (await readFile(path, "utf8")).split("\n").filter((line) => line.trim() !== "");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

export const NOTHING_REPORTED: AgentSummary = { costUsd: null, turns: null, result: null };

/** What one line of a structured stream says, for the heartbeat scan; null when not an event. */
export interface LineSignal {
  /** The run's total cost so far, when this line states one. */
  costUsd: number | null;
}
