import { formatDuration } from "../config/durations.js";
import type { AgentSummary } from "./adapters/types.js";
import { formatUsd } from "./budget-messages.js";

/** The agent's final message is shown up to this many characters. */
export const MAX_AGENT_RESULT_CHARS = 4_000;

export interface RunSummary {
  issueNumber: number;
  attempt: number;
  runtimeMs: number;
  adapter: string;
  requestedBy: string;
  changedFiles: readonly string[];
  /** What the agent reported of its run, when it did. */
  reported?: AgentSummary;
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
| files changed | ${summary.changedFiles.length} |${reportRows(summary.reported)}

${files.join("\n")}
${agentResultSection(summary.reported?.result ?? null)}
<sub>Opened by agent-fleet. The agent had no GitHub credentials; the fleet pushed this branch.</sub>`;
}

function reportRows(reported: AgentSummary | undefined): string {
  const rows: string[] = [];
  if (reported?.costUsd != null) rows.push(`| cost (reported) | ${formatUsd(reported.costUsd)} |`);
  if (reported?.turns != null) rows.push(`| turns | ${reported.turns} |`);
  return rows.map((row) => `\n${row}`).join("");
}

/**
 * The agent's final message is its own text, so it is shown verbatim inside a code fence longer
 * than any backtick run in it: no markdown, mention, issue reference or closing keyword of its
 * takes effect. Cut to MAX_AGENT_RESULT_CHARS.
 */
export function agentResultSection(result: string | null): string {
  const text = result?.trim();
  if (!text) return "";
  const cut = text.length > MAX_AGENT_RESULT_CHARS;
  const shown = cut ? `${text.slice(0, MAX_AGENT_RESULT_CHARS)}\n… (cut)` : text;
  const longestRun = Math.max(0, ...[...shown.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(Math.max(3, longestRun + 1));
  return `
### What the agent said

${fence}text
${shown}
${fence}
`;
}
