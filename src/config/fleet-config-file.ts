import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, visit } from "yaml";
import { z } from "zod";
import {
  type ConfigError,
  checkFleetConfig,
  fleetConfigSchema,
  formatKeyPath,
} from "./fleet-config.js";

export interface LocatedConfigError extends ConfigError {
  /** 1-based line in the file, when the problem can be pinned to one. */
  line: number | null;
}

export type FileCheck = { ok: true } | { ok: false; errors: LocatedConfigError[] };

/**
 * Checks the text of a fleet.yml: YAML syntax first, then the schema. Each problem carries its
 * key path and, where it points at a node, the line it stands on.
 */
export function checkFleetConfigText(text: string): FileCheck {
  const lines = new LineCounter();
  // Warnings (a map used as a key) would go to the process; the key is reported below anyway.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, logLevel: "error" });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => ({
        path: "(file)",
        message: `invalid YAML: ${e.message.split("\n")[0]?.replace(/:$/, "")}`,
        line: e.linePos?.[0]?.line ?? null,
      })),
    };
  }
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (error) {
    // Aliases resolve only here: one without its anchor, or too many of them, throws.
    const message = (error as Error).message;
    const line = aliasLine(doc, lines, message);
    return { ok: false, errors: [{ path: "(file)", message: `invalid YAML: ${message}`, line }] };
  }
  const checked = checkFleetConfig(raw);
  if (checked.ok) return { ok: true };
  const located = checked.issues.map((issue) => ({
    path: formatKeyPath(issue.keys),
    message: issue.message,
    line: lineOf(doc, lines, issue.keys),
  }));
  // In the order of the file, as a reader goes through it.
  located.sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER));
  return { ok: false, errors: located };
}

/** The line of the deepest key or item along `keys` the file has: an unknown key's own line. */
function lineOf(
  doc: ReturnType<typeof parseDocument>,
  lines: LineCounter,
  keys: readonly PropertyKey[],
): number | null {
  const lineAt = (node: unknown) =>
    isNode(node) && node.range ? lines.linePos(node.range[0]).line : null;
  let node: unknown = doc.contents;
  let line = lineAt(node);
  for (const key of keys) {
    let at: unknown;
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(key));
      at = pair?.key;
      node = pair?.value;
    } else if (isSeq(node) && typeof key === "number") {
      at = node = node.items[key];
    } else {
      break;
    }
    if (at === undefined) break;
    line = lineAt(at) ?? line;
  }
  return line;
}

/** A map key as the parsed object names it (`null:` and `~:` become ""). */
function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value ?? "") : String(key);
}

/** The line of the alias an error names ("...: name"), if it names one. */
function aliasLine(
  doc: ReturnType<typeof parseDocument>,
  lines: LineCounter,
  message: string,
): number | null {
  let line: number | null = null;
  visit(doc, {
    Alias(_, node) {
      if (!node.range || !message.endsWith(`: ${node.source}`)) return;
      line = lines.linePos(node.range[0]).line;
      return visit.BREAK;
    },
  });
  return line;
}

/** The JSON Schema editors use for `.github/fleet.yml`, generated from the one zod schema. */
export function fleetConfigJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(fleetConfigSchema, { io: "input" }),
    title: "agent-fleet .github/fleet.yml",
  };
}

export function formatLocatedErrors(file: string, errors: readonly LocatedConfigError[]): string {
  return errors
    .map((e) => `${file}${e.line === null ? "" : `:${e.line}`}  ${e.path}  ${e.message}`)
    .join("\n");
}
