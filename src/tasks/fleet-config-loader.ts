import { type ConfigResult, parseFleetConfig } from "../config/fleet-config.js";
import type { IssueGitHub } from "../github/types.js";

/** Reads and validates the repo's fleet.yml; unreadable YAML is reported, never thrown. */
export async function loadFleetConfig(
  gh: Pick<IssueGitHub, "readFleetConfig">,
): Promise<ConfigResult> {
  let raw: unknown;
  try {
    raw = await gh.readFleetConfig();
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    if (!/could not be parsed|invalid YAML|not an object/i.test(message)) throw error;
    const cause = (error as { cause?: Error }).cause?.message;
    return {
      ok: false,
      errors: [{ path: "(file)", message: cause ? `invalid YAML: ${cause}` : message }],
    };
  }
  return parseFleetConfig(raw);
}
