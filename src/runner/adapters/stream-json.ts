import { isRecord, type Json, num, parseTypedJsonLine, str } from "./json-line.js";
import type { LineSignal } from "./read-lines.js";

/**
 * Claude Code's `--output-format stream-json` prints one JSON object per line. Each parsed
 * line proves the agent is alive; the final `result` line says how the run ended. Anything
 * we do not recognise is ignored, never thrown, because the format evolves.
 */
export type StreamEvent =
  | {
      type: "system";
      subtype: string;
      sessionId: string | null;
      model: string | null;
      tools: string[];
    }
  | {
      type: "assistant";
      sessionId: string | null;
      texts: string[];
      toolUses: { name: string; input: unknown }[];
    }
  | { type: "user"; sessionId: string | null; toolResults: number }
  | {
      type: "result";
      subtype: string;
      isError: boolean;
      durationMs: number | null;
      numTurns: number | null;
      result: string | null;
      costUsd: number | null;
      sessionId: string | null;
    };

export interface StreamSummary {
  events: number;
  turns: number;
  costUsd: number | null;
  result: string | null;
  resultSubtype: string | null;
  /** null until a result line arrives: a run that never reported cannot be called a success. */
  isError: boolean | null;
  toolUses: number;
  sessionId: string | null;
  model: string | null;
  lastEventAt: Date | null;
}

/** A line plus the time the runner read it; stream-json lines carry no timestamp of their own. */
export interface TimedLine {
  line: string;
  at: Date | number;
}

export function parseStreamJsonLine(line: string): StreamEvent | null {
  const value = parseTypedJsonLine(line);
  if (value === null) return null;
  const sessionId = str(value.session_id);
  switch (value.type) {
    case "system":
      return {
        type: "system",
        subtype: str(value.subtype) ?? "unknown",
        sessionId,
        model: str(value.model),
        tools: Array.isArray(value.tools) ? value.tools.filter((t) => typeof t === "string") : [],
      };
    case "assistant": {
      const content = messageContent(value);
      return {
        type: "assistant",
        sessionId,
        texts: content.flatMap((c) =>
          c.type === "text" && typeof c.text === "string" ? [c.text] : [],
        ),
        toolUses: content.flatMap((c) =>
          c.type === "tool_use" ? [{ name: str(c.name) ?? "unknown", input: c.input }] : [],
        ),
      };
    }
    case "user":
      return {
        type: "user",
        sessionId,
        toolResults: messageContent(value).filter((c) => c.type === "tool_result").length,
      };
    case "result":
      return {
        type: "result",
        subtype: str(value.subtype) ?? "unknown",
        isError:
          value.is_error === true || (value.is_error === undefined && value.subtype !== "success"),
        durationMs: num(value.duration_ms),
        numTurns: num(value.num_turns),
        result: str(value.result),
        // older releases named the field cost_usd
        costUsd: num(value.total_cost_usd) ?? num(value.cost_usd),
        sessionId,
      };
    default:
      return null;
  }
}

/** Every recognised event counts as a heartbeat: the agent produced structured output. */
export function isHeartbeat(event: StreamEvent | null): event is StreamEvent {
  return event !== null;
}

export function summarizeStreamJson(lines: Iterable<string | TimedLine>): StreamSummary {
  const summary: StreamSummary = {
    events: 0,
    turns: 0,
    costUsd: null,
    result: null,
    resultSubtype: null,
    isError: null,
    toolUses: 0,
    sessionId: null,
    model: null,
    lastEventAt: null,
  };
  let assistantMessages = 0;
  let reportedTurns: number | null = null;
  for (const item of lines) {
    const event = parseStreamJsonLine(typeof item === "string" ? item : item.line);
    if (!isHeartbeat(event)) continue;
    summary.events++;
    if (typeof item !== "string") summary.lastEventAt = new Date(item.at);
    summary.sessionId = event.sessionId ?? summary.sessionId;
    if (event.type === "system") summary.model = event.model ?? summary.model;
    if (event.type === "assistant") {
      assistantMessages++;
      summary.toolUses += event.toolUses.length;
    }
    if (event.type === "result") {
      summary.result = event.result;
      summary.resultSubtype = event.subtype;
      summary.isError = event.isError;
      summary.costUsd = event.costUsd;
      reportedTurns = event.numTurns;
    }
  }
  // the result line's own count wins; without one, each assistant message is a turn
  summary.turns = reportedTurns ?? assistantMessages;
  return summary;
}

function messageContent(value: Json): Json[] {
  const message = value.message;
  if (!isRecord(message) || !Array.isArray(message.content)) return [];
  return message.content.filter(isRecord);
}

/**
 * For the heartbeat scan: every event is a beat. No cost is stated for agent.maxCostUsd: Claude
 * Code names its cost only on the final result line, just before it exits, so stopping on it
 * would only race a finished run and throw its work away. That cost is recorded at the end and
 * counts against budget.dailyUsd.
 */
export function streamJsonSignal(line: string): LineSignal | null {
  return isHeartbeat(parseStreamJsonLine(line)) ? { costUsd: null } : null;
}
