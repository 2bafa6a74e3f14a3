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

/** What a JSON event stream on stdout added up to; see summarizeStreamJson / summarizeCodexJson. */
interface StreamTotals {
  events: number;
  turns: number;
  costUsd: number | null;
  result: string | null;
}

/**
 * An adapter's report from the JSON events it printed to stdout: no turns when it printed no
 * event at all, and nothing rather than an error when the file cannot be read.
 */
export async function summarizeStdoutEvents(
  stdoutFile: string,
  summarize: (lines: string[]) => StreamTotals,
): Promise<AgentSummary> {
  try {
    const run = summarize(await readLines(stdoutFile));
    return { costUsd: run.costUsd, turns: run.events > 0 ? run.turns : null, result: run.result };
  } catch {
    return NOTHING_REPORTED;
  }
}

/** What one line of a structured stream says, for the heartbeat scan; null when not an event. */
export interface LineSignal {
  /** The run's total cost so far, when this line states one. */
  costUsd: number | null;
}
