import { z } from "zod";

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const COMPOUND = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
/** The same, allowing surrounding blanks: what the JSON Schema tells editors. */
const COMPOUND_TRIMMED = /^\s*(?:\d+(?:\.\d+)?(?:ms|s|m|h))+\s*$/;

/** Parses "30s", "5m", "1h", "1m30s" or "250ms" into milliseconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (!COMPOUND.test(trimmed)) {
    throw new Error(`"${text}" is not a duration; use a number with a unit, like 30s, 5m or 1h`);
  }
  let total = 0;
  for (const part of trimmed.match(/\d+(?:\.\d+)?(?:ms|s|m|h)/g) ?? []) {
    const [, value, unit] = DURATION.exec(part) ?? [];
    total += Number(value) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return Math.round(total);
}

/** Formats milliseconds for humans: 1500 -> "1.5s", 90000 -> "1m30s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  if (minutes < 60) return seconds ? `${minutes}m${seconds}s` : `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${hours}h${rest}m` : `${hours}h`;
}

/** A zod field that accepts "30s"-style strings (or raw milliseconds) and yields milliseconds. */
export const durationSchema = z
  .union([
    z.string().regex(COMPOUND_TRIMMED, "a duration like 30s, 5m or 1h"),
    z.number().nonnegative().describe("milliseconds"),
  ])
  .transform((value, ctx) => {
    if (typeof value === "number") return value;
    try {
      return parseDuration(value);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  });
