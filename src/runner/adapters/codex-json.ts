import { isRecord, num, parseTypedJsonLine, str } from "./json-line.js";
import type { LineSignal } from "./read-lines.js";

/**
 * `codex exec --json` prints one JSON event per line on stdout: thread.started, turn.started,
 * item.started / item.updated / item.completed (agent_message, reasoning, command_execution,
 * file_change, …), turn.completed (with token usage), turn.failed and error. Each recognised
 * line is a heartbeat. Unknown types and fields are ignored, never thrown: the format evolves.
 */
export type CodexEvent =
  | { type: "thread.started"; threadId: string | null }
  | { type: "turn.started" }
  | { type: "turn.completed"; usage: CodexUsage | null; totalCostUsd: number | null }
  | { type: "turn.failed"; message: string | null }
  | {
      type: "item.started" | "item.updated" | "item.completed";
      itemType: string;
      text: string | null;
    }
  | { type: "error"; message: string | null };

export interface CodexUsage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
}

export interface CodexSummary {
  events: number;
  turns: number;
  /** Codex reports tokens, not money: null unless an event states a total cost. */
  costUsd: number | null;
  /** The text of the last completed agent_message. */
  result: string | null;
  usage: CodexUsage;
  /** The last turn.failed or error message, if any. */
  error: string | null;
  threadId: string | null;
}

const ITEM_EVENTS = new Set(["item.started", "item.updated", "item.completed"]);

export function parseCodexJsonLine(line: string): CodexEvent | null {
  const value = parseTypedJsonLine(line);
  if (value === null) return null;
  switch (value.type) {
    case "thread.started":
      return { type: "thread.started", threadId: str(value.thread_id) };
    case "turn.started":
      return { type: "turn.started" };
    case "turn.completed": {
      const usage = isRecord(value.usage) ? value.usage : null;
      return {
        type: "turn.completed",
        usage: usage
          ? {
              inputTokens: num(usage.input_tokens) ?? 0,
              cachedInputTokens: num(usage.cached_input_tokens) ?? 0,
              outputTokens: num(usage.output_tokens) ?? 0,
            }
          : null,
        // not emitted by codex today; honoured if a release (or a proxy) adds it
        totalCostUsd: num(value.total_cost_usd) ?? (usage ? num(usage.total_cost_usd) : null),
      };
    }
    case "turn.failed":
      return {
        type: "turn.failed",
        message: isRecord(value.error) ? str(value.error.message) : null,
      };
    case "error":
      return { type: "error", message: str(value.message) };
    default: {
      if (!ITEM_EVENTS.has(value.type) || !isRecord(value.item)) return null;
      return {
        type: value.type as "item.started" | "item.updated" | "item.completed",
        itemType: str(value.item.type) ?? "unknown",
        text: str(value.item.text),
      };
    }
  }
}

export function codexJsonSignal(line: string): LineSignal | null {
  const event = parseCodexJsonLine(line);
  if (event === null) return null;
  return { costUsd: event.type === "turn.completed" ? event.totalCostUsd : null };
}

export function summarizeCodexJson(lines: Iterable<string>): CodexSummary {
  const summary: CodexSummary = {
    events: 0,
    turns: 0,
    costUsd: null,
    result: null,
    usage: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 },
    error: null,
    threadId: null,
  };
  for (const line of lines) {
    const event = parseCodexJsonLine(line);
    if (event === null) continue;
    summary.events++;
    switch (event.type) {
      case "thread.started":
        summary.threadId = event.threadId ?? summary.threadId;
        break;
      case "turn.completed":
        summary.turns++;
        if (event.usage) {
          summary.usage.inputTokens += event.usage.inputTokens;
          summary.usage.cachedInputTokens += event.usage.cachedInputTokens;
          summary.usage.outputTokens += event.usage.outputTokens;
        }
        summary.costUsd = event.totalCostUsd ?? summary.costUsd;
        break;
      case "item.completed":
        if (event.itemType === "agent_message" && event.text !== null) summary.result = event.text;
        break;
      case "turn.failed":
      case "error":
        summary.error = event.message ?? summary.error;
        break;
    }
  }
  return summary;
}
