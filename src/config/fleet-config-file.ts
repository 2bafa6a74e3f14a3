import { isNode, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { type ConfigError, fleetConfigSchema, parseFleetConfig } from "./fleet-config.js";

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
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => ({
        path: "(file)",
        message: `invalid YAML: ${e.message.split("\n")[0]}`,
        line: e.linePos?.[0]?.line ?? null,
      })),
    };
  }
  const parsed = parseFleetConfig(doc.toJS());
  if (parsed.ok) return { ok: true };
  return {
    ok: false,
    errors: parsed.errors.map((e) => {
      // An unknown key is reported on its parent; point at the key itself.
      const unknown = /Unrecognized keys?: "([^"]+)"/.exec(e.message)?.[1];
      const at = unknown ? (e.path === "(root)" ? unknown : `${e.path}.${unknown}`) : e.path;
      // The unknown key is the property to fix, so it names the row.
      return {
        path: at,
        message: unknown ? "not a known setting" : e.message,
        line: lineOf(doc, lines, at),
      };
    }),
  };
}

/** The line of the deepest node along `path` that exists (an unknown key's parent, say). */
function lineOf(
  doc: ReturnType<typeof parseDocument>,
  lines: LineCounter,
  path: string,
): number | null {
  const keys =
    path === "(root)" ? [] : path.split(".").map((k) => (/^\d+$/.test(k) ? Number(k) : k));
  for (let depth = keys.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(keys.slice(0, depth), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return null;
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
