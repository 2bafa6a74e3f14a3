import type { LineSignal } from "./read-lines.js";
import type { AgentSummary } from "./types.js";

/**
 * FLEET_EVENTS_FILE: JSON lines any agent may append. Every parseable line is a heartbeat; a few
 * shapes also report on the run (the latest of each wins):
 * - `{"type":"cost","usd":0.42}`: the attempt's total cost so far, in US dollars, which
 *   agent.maxCostUsd and budget.dailyUsd are measured against;
 * - `{"type":"result","text":"…","turns":3}`: the final message (shown in the PR) and the turn
 *   count, both optional.
 */
export type FleetEvent =
  | { type: "cost"; usd: number }
  | { type: "result"; text: string | null; turns: number | null }
  | { type: "other" };

export function parseFleetEventLine(line: string): FleetEvent | null {
  if (line.trim() === "") return null;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { type: "other" };
  const record = value as Record<string, unknown>;
  if (record.type === "cost" && isCost(record.usd)) return { type: "cost", usd: record.usd };
  if (record.type === "result") {
    return {
      type: "result",
      text: typeof record.text === "string" ? record.text : null,
      turns:
        Number.isInteger(record.turns) && (record.turns as number) >= 0
          ? (record.turns as number)
          : null,
    };
  }
  return { type: "other" };
}

/** Any JSON value is a heartbeat, as before cost lines existed. */
export function fleetEventSignal(line: string): LineSignal | null {
  const event = parseFleetEventLine(line);
  if (event === null) return null;
  return { costUsd: event.type === "cost" ? event.usd : null };
}

export function summarizeFleetEvents(lines: Iterable<string>): AgentSummary {
  const summary: AgentSummary = { costUsd: null, turns: null, result: null };
  for (const line of lines) {
    const event = parseFleetEventLine(line);
    if (event?.type === "cost") summary.costUsd = event.usd;
    if (event?.type === "result") {
      summary.result = event.text ?? summary.result;
      summary.turns = event.turns ?? summary.turns;
    }
  }
  return summary;
}

function isCost(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}
