import { type ConfigError, type ConfigResult, parseFleetConfig } from "../config/fleet-config.js";
import type { IssueGitHub } from "../github/types.js";

/**
 * Reads and validates the repo's fleet.yml. A problem of the file's own (unreadable YAML, a bad
 * or circular `_extends`) is reported, never thrown; GitHub's failures are thrown, to retry.
 */
export async function loadFleetConfig(
  gh: Pick<IssueGitHub, "readFleetConfig">,
): Promise<ConfigResult> {
  let raw: unknown;
  try {
    raw = await gh.readFleetConfig();
  } catch (error) {
    const problem = fileProblem(error);
    if (!problem) throw error;
    return { ok: false, errors: [problem] };
  }
  return parseFleetConfig(raw);
}

/** What the config reader threw, as the file's problem; null when GitHub's answer was the cause. */
function fileProblem(error: unknown): ConfigError | null {
  if (!(error instanceof Error) || "status" in error) return null;
  // Probot deep-merges the parsed file: an alias inside its own anchor recurses without end.
  if (error instanceof RangeError) {
    return { path: "(file)", message: "nests without end: an alias refers back into its anchor" };
  }
  const message = error.message.replace(/^\[@probot\/octokit-plugin-config\]\s*/, "");
  if (/Invalid value .* for _extends/.test(message)) {
    return { path: "_extends", message: "not a repository to extend, like .github or org/repo" };
  }
  if (/Recursion detected/.test(message)) {
    return { path: "_extends", message: "leads back to a file it extends" };
  }
  if (/could not be parsed|invalid YAML|not an object|directory or a submodule/i.test(message)) {
    // yaml's message goes on to quote the file over several lines; the first names the spot.
    const cause = (error.cause as Error | undefined)?.message.split("\n")[0]?.replace(/:$/, "");
    return { path: "(file)", message: cause ? `invalid YAML: ${cause}` : message };
  }
  return null;
}
