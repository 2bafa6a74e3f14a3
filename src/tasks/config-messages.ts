import { MAX_LISTED_CONFIG_ERRORS, moreConfigErrors } from "../config/fleet-config.js";
import type { LocatedConfigError } from "../config/fleet-config-file.js";
import { MARKER } from "./messages.js";

export const CONFIG_CHECK_NAME = "fleet/config";
export const CONFIG_ERROR_ISSUE_TITLE = "agent-fleet configuration error";

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

/** | property | problem | line |: the shape of every configuration report. */
export function configErrorTable(errors: readonly LocatedConfigError[]): string {
  return [
    "| property | problem | line |",
    "|---|---|---|",
    ...errors
      .slice(0, MAX_LISTED_CONFIG_ERRORS)
      .map((e) => `| \`${cell(e.path)}\` | ${cell(e.message)} | ${e.line ?? "—"} |`),
    ...moreConfigErrors(errors.length).map((line) => `\n${line}`),
  ].join("\n");
}

export function configCheckOutput(
  errors: readonly LocatedConfigError[],
  removed: boolean,
): { title: string; summary: string } {
  if (errors.length === 0) {
    return {
      title: removed ? "fleet.yml removed: defaults apply" : "fleet.yml is valid",
      summary: removed
        ? "This pull request deletes `.github/fleet.yml`; agent-fleet will use its defaults."
        : "`.github/fleet.yml` in this pull request is valid.",
    };
  }
  const count = errors.length;
  return {
    title: `fleet.yml has ${count} problem${count === 1 ? "" : "s"}`,
    summary: [
      "Merging this would stop agent-fleet dispatching agents for this repository until it is fixed.",
      "",
      configErrorTable(errors),
    ].join("\n"),
  };
}

export function configErrorIssueBody(errors: readonly LocatedConfigError[]): string {
  return `${MARKER}
\`.github/fleet.yml\` on the default branch is invalid, so agent-fleet has stopped dispatching agents for this repository. Nothing queued is lost: work resumes once the file is fixed, and this issue closes by itself then.

${configErrorTable(errors)}

\`fleet config validate .github/fleet.yml\` shows the same report locally.`;
}

export function configStillBrokenComment(errors: readonly LocatedConfigError[]): string {
  return `${MARKER}
\`.github/fleet.yml\` changed but is still invalid:

${configErrorTable(errors)}`;
}

export function configFixedComment(): string {
  return `${MARKER}
\`.github/fleet.yml\` on the default branch is valid again; agent-fleet dispatches agents for this repository again.`;
}
