import { formatDuration } from "../config/durations.js";

export interface RunSummary {
  issueNumber: number;
  attempt: number;
  runtimeMs: number;
  adapter: string;
  requestedBy: string;
  changedFiles: readonly string[];
}

/** The pull request's body: the closing keyword first, then an honest summary of the run. */
export function pullRequestBody(summary: RunSummary): string {
  const files = summary.changedFiles.slice(0, 50).map((f) => `- \`${f}\``);
  if (summary.changedFiles.length > 50)
    files.push(`- … and ${summary.changedFiles.length - 50} more`);
  return `Closes #${summary.issueNumber}

### Run summary
| | |
|---|---|
| agent | ${summary.adapter} |
| attempt | ${summary.attempt} |
| runtime | ${formatDuration(summary.runtimeMs)} |
| requested by | @${summary.requestedBy} |
| files changed | ${summary.changedFiles.length} |

${files.join("\n")}

<sub>Opened by agent-fleet. The agent had no GitHub credentials; the fleet pushed this branch.</sub>`;
}
