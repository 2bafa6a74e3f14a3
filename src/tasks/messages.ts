import { formatDuration } from "../config/durations.js";
import { type ConfigError, formatConfigErrors } from "../config/fleet-config.js";
import type { Event, Task } from "../db/schema.js";

/** Every comment the fleet posts is written here, so wording stays consistent and testable. */
export const MARKER = "<!-- agent-fleet -->";

export function refusalComment(login: string, label: string): string {
  return `${MARKER}
@${login}, agent-fleet only dispatches agents for people with write, maintain or admin access to this repository, so the \`${label}\` label was not acted on. Ask a maintainer to add it.`;
}

export function configErrorComment(
  errors: readonly ConfigError[],
  errorIssue: number | null = null,
): string {
  const where = errorIssue === null ? "" : ` (tracked in #${errorIssue})`;
  return `${MARKER}
agent-fleet cannot dispatch an agent: \`.github/fleet.yml\` on the default branch is invalid${where}.

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

export const FAILED_LABEL = "fleet:failed";

export interface AttemptLine {
  number: number;
  outcome: string;
  runtimeMs: number | null;
  exitCode: number | null;
  signal: string | null;
}

const OUTCOME_WORDS: Record<string, string> = {
  crashed: "crashed",
  stalled: "stalled (no heartbeat), killed",
  timed_out: "hit the wall-clock limit, killed",
  lost: "lost (its runner went away)",
  runner_error: "failed in the runner",
  succeeded: "succeeded",
  no_changes: "made no changes",
  cancelled: "cancelled",
  conflict: "stopped on a git conflict",
  conflict_unresolved: "left the conflict unresolved",
  over_budget: "went over its cost limit (agent.maxCostUsd), stopped",
};

function describeExit(line: AttemptLine): string {
  if (line.signal) return `killed by ${line.signal}`;
  if (line.exitCode !== null) return `exited with code ${line.exitCode}`;
  return "";
}

function fenced(text: string): string {
  return `\`\`\`\`text\n${text.replaceAll("````", "'''")}\n\`\`\`\``;
}

/** The one comment a task gets when it runs out of attempts: every attempt, honestly. */
export function taskFailedComment(input: {
  attempts: readonly AttemptLine[];
  lastError: string | null;
  stderrTail: string;
}): string {
  const rows = input.attempts.map((a) => {
    const runtime = a.runtimeMs === null ? "—" : formatDuration(a.runtimeMs);
    return `| ${a.number} | ${OUTCOME_WORDS[a.outcome] ?? a.outcome} | ${describeExit(a) || "—"} | ${runtime} |`;
  });
  const count = input.attempts.length;
  const tail = input.stderrTail.trim() || "(the agent wrote nothing to stderr)";
  return [
    MARKER,
    `agent-fleet gave up on this issue after ${count} attempt${count === 1 ? "" : "s"}; no pull request was opened.`,
    "",
    "| attempt | outcome | exit | runtime |",
    "|---|---|---|---|",
    ...rows,
    ...(input.lastError ? ["", `Last error: ${input.lastError}`] : []),
    "",
    "<details><summary>Last lines of the last attempt's stderr</summary>",
    "",
    fenced(tail),
    "</details>",
    "",
    "Comment `/fleet retry` to try again.",
  ].join("\n");
}

export function retryAcknowledgedComment(login: string): string {
  return `${MARKER}
@${login} asked for a retry; the task is queued again.`;
}

export function commandRefusalComment(login: string): string {
  return `${MARKER}
@${login}, thanks — agent-fleet only takes \`/fleet\` commands from people with write, maintain or admin access to this repository, so this one was not acted on.`;
}

export function unknownCommandComment(login: string, verb: string): string {
  const what = verb ? `\`/fleet ${verb}\` is not a command I know` : "that command needs a verb";
  return `${MARKER}
@${login}, ${what}. The commands are \`/fleet retry\`, \`/fleet cancel\`, \`/fleet resume\` and \`/fleet status\`.`;
}

export function cancelledByCommandComment(login: string, task: Pick<Task, "prNumber">): string {
  const pr = task.prNumber
    ? ` The pull request #${task.prNumber} stays open, but agent-fleet will not merge it.`
    : "";
  return `${MARKER}
@${login} cancelled this task; any running agent was stopped and nothing more is pushed.${pr}`;
}

/** `/fleet status`: the task's state and its whole timeline, oldest first. */
export function statusComment(task: Task | null, timeline: readonly Event[]): string {
  if (!task) return `${MARKER}\nagent-fleet has no task for this issue.`;
  const facts = [
    `state \`${task.state}\``,
    `attempt ${task.attempt}`,
    ...(task.prNumber ? [`PR #${task.prNumber}`] : []),
    ...(task.decision ? [`policy: ${task.decision}`] : []),
    ...(task.flaggedReason ? [`flagged: ${task.flaggedReason}`] : []),
  ];
  const rows = timeline.map((e) => {
    const change = e.toState ? `${e.fromState ?? "—"} → ${e.toState}` : "—";
    return `| ${e.at.toISOString().replace(/\.\d{3}Z$/, "Z")} | ${e.kind} | ${change} | ${eventDetails(e.data)} |`;
  });
  return [
    MARKER,
    `Task ${task.id} (${task.kind}): ${facts.join(", ")}.`,
    "",
    "| time (UTC) | event | state | details |",
    "|---|---|---|---|",
    ...rows,
  ].join("\n");
}

/** A short, table-safe rendering of an event's data. */
function eventDetails(data: Record<string, unknown>): string {
  const parts = Object.entries(data)
    .filter(([key, value]) => key !== "deliveryId" && value !== null && value !== undefined)
    .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
  const text = parts.join(", ").replaceAll("|", "\\|").replaceAll("\n", " ");
  return text.length > 120 ? `${text.slice(0, 117)}...` : text || "—";
}
