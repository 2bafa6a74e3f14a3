import type { CheckRunConclusion, CheckRunStatus, PullCheck } from "../github/pull-github.js";
import type { CheckState, Decision, PolicyVerdict } from "../policies/merge-decision.js";
import { sizeLabel } from "../policies/size.js";
import type { NextStep } from "./next-step.js";
import type { ReviewStanding } from "./reviews.js";

export interface PolicyReportInput {
  verdict: PolicyVerdict;
  step: NextStep;
  checks: readonly PullCheck[];
  standing: ReviewStanding;
  headSha: string;
}

export interface PolicyReport {
  status: CheckRunStatus;
  conclusion?: CheckRunConclusion;
  title: string;
  summary: string;
}

/** The check run's conclusion for each decision; waiting has none (the run stays in progress). */
export const DECISION_CONCLUSION: Record<Decision, CheckRunConclusion | null> = {
  mergeable: "success",
  waiting: null,
  needs_review: "action_required",
  blocked: "failure",
  checks_failed: "failure",
};

const STATE_ICON: Record<CheckState, string> = {
  success: "✅ success",
  failure: "❌ failure",
  pending: "⏳ pending",
  neutral: "➖ neutral",
  skipped: "➖ skipped",
};

/** Table cells: a pipe or a line break would end the cell. */
export function cell(text: string): string {
  return text.replaceAll("|", "\\|").replace(/\r?\n/g, " ");
}

const short = (sha: string) => sha.slice(0, 7);
const users = (logins: readonly string[]) => logins.map((u) => `@${u}`).join(", ");

function nextLine(step: NextStep, headSha: string): string {
  switch (step.kind) {
    case "merge":
      return `merging \`${short(headSha)}\``;
    case "hold":
      return step.why === "flagged"
        ? `handed to humans: ${step.reason}`
        : `not merging: ${step.reason}`;
    case "flag":
      return `handed to humans: ${step.reason}`;
    case "fix":
      return step.source === "checks"
        ? "an agent attempt fixes the failed checks"
        : `an agent attempt addresses @${step.review.user}'s requested changes`;
    case "rebase":
      return "the branch is rebased onto the base";
    case "request_review":
      return `waiting for someone with write access to approve \`${short(headSha)}\``;
    case "wait":
      return "waiting for the required checks";
  }
}

function reviewsCell(standing: ReviewStanding, headSha: string): string {
  const parts: string[] = [];
  if (standing.approvedBy.length) {
    parts.push(`approved on the current head by ${users(standing.approvedBy)}`);
  }
  for (const review of standing.changesRequested)
    parts.push(`changes requested by @${review.user}`);
  if (standing.staleApprovals.length) {
    parts.push(
      `${users(standing.staleApprovals)} approved an older head, which does not count for \`${short(headSha)}\``,
    );
  }
  return parts.length ? parts.join("; ") : "no approval on the current head";
}

function conclusionFor(
  step: NextStep,
  decision: Decision,
): { status: CheckRunStatus; conclusion?: CheckRunConclusion } {
  if (step.kind === "wait" || step.kind === "rebase") return { status: "in_progress" };
  if (step.kind === "hold" && step.why === "paused") {
    return { status: "completed", conclusion: "neutral" };
  }
  const conclusion = DECISION_CONCLUSION[decision] ?? "action_required";
  return { status: "completed", conclusion };
}

/** The `fleet/policy` check run: its conclusion, a one-line title and the markdown summary. */
export function policyReport(input: PolicyReportInput): PolicyReport {
  const { verdict, step, headSha } = input;
  const { size } = verdict;
  const ignored = size.ignoredFiles.length
    ? `, ${size.ignoredLines} ignored in ${size.ignoredFiles.map((f) => `\`${f}\``).join(", ")}`
    : "";
  const rows: Array<[string, string]> = [
    ["Decision", `**${verdict.decision}**`],
    ["Reason", verdict.reason],
    ["Next", nextLine(step, headSha)],
    ["Size", `\`${sizeLabel(size.bucket)}\`: ${size.lines} lines counted${ignored}`],
    ["Files", String(size.files)],
    [
      "Protected paths touched",
      verdict.protectedTouched.length
        ? verdict.protectedTouched.map((p) => `\`${p}\``).join(", ")
        : "none",
    ],
    ["Reviews", reviewsCell(input.standing, headSha)],
    ["Head", `\`${short(headSha)}\``],
  ];
  const checkRows = input.checks.length
    ? input.checks.map((c) => `| ${cell(c.name)} | ${STATE_ICON[c.state]} |`)
    : ["| (none reported yet) | ⏳ pending |"];
  const summary = [
    "| | |",
    "|---|---|",
    ...rows.map(([k, v]) => `| ${k} | ${cell(v)} |`),
    "",
    "| check | state |",
    "|---|---|",
    ...checkRows,
  ].join("\n");
  const title = `${verdict.decision.replace("_", " ")}: ${step.kind === "hold" ? step.reason : verdict.reason}`;
  return {
    ...conclusionFor(step, verdict.decision),
    title: title.length > 200 ? `${title.slice(0, 197)}...` : title,
    summary,
  };
}
