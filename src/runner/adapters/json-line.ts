/** Reading agents' JSON event streams: one object per line, with a string `type`. */
export type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The line's object when it is one with a string `type`; null for anything else, never a throw. */
export function parseTypedJsonLine(line: string): (Json & { type: string }) | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  return isRecord(value) && typeof value.type === "string"
    ? (value as Json & { type: string })
    : null;
}

export function str(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

export function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}
