import { type ConfigError, formatConfigErrors } from "../config/fleet-config.js";

/** Every comment the fleet posts is written here, so wording stays consistent and testable. */
export const MARKER = "<!-- agent-fleet -->";

export function refusalComment(login: string, label: string): string {
  return `${MARKER}
@${login}, agent-fleet only dispatches agents for people with write, maintain or admin access to this repository, so the \`${label}\` label was not acted on. Ask a maintainer to add it.`;
}

export function configErrorComment(errors: readonly ConfigError[]): string {
  return `${MARKER}
agent-fleet cannot dispatch an agent: \`.github/fleet.yml\` on the default branch is invalid.

${formatConfigErrors(errors)}

Fix the file and label the issue again.`;
}

export function pullRequestOpenedComment(prUrl: string): string {
  return `${MARKER}
An agent worked on this issue and opened ${prUrl}.`;
}

export function noChangesComment(attempt: number): string {
  return `${MARKER}
The agent finished (attempt ${attempt}) without changing anything, so no pull request was opened.`;
}

export function agentFailedComment(input: {
  attempt: number;
  exitCode: number | null;
  signal: string | null;
  stderrTail: string;
}): string {
  const how =
    input.signal !== null ? `was killed by ${input.signal}` : `exited with code ${input.exitCode}`;
  const tail = input.stderrTail.trim() || "(the agent wrote nothing to stderr)";
  return `${MARKER}
The agent ${how} (attempt ${input.attempt}); no pull request was opened.

<details><summary>Last lines of the agent's stderr</summary>

\`\`\`\`text
${tail.replaceAll("````", "'''")}
\`\`\`\`
</details>`;
}
