import { parse as parseYaml } from "yaml";
import { DEFAULT_FLEET_CONFIG, parseFleetConfig } from "../../config/fleet-config.js";
import { TERMINAL_STATES } from "../../db/task-states.js";
import type { AgentRef, IssueReport, SimulationReport } from "../report.js";
import type { Scenario, ScenarioIssue } from "../scenario.js";
import type { Leftover } from "./leftovers.js";

export interface InvariantResult {
  name: string;
  ok: boolean;
  /** What broke it, one line each (empty when it holds). */
  details: string[];
}

/**
 * States a task may be left in at the end of a night without anything being lost, besides the
 * terminal ones: each waits on a person, and says so on the issue or its PR.
 */
export const EXPLAINED_STATES = {
  failed: "every attempt failed; the issue says so (fleet:failed), and a writer may /fleet retry",
  needs_review: "its PR waits for a human review",
  pr_open: "its PR was flagged for humans (flagged_reason set)",
  queued: "its repo is paused after a red default branch, until a writer's /fleet resume",
  retry_wait: "its repo is paused after a red default branch, until a writer's /fleet resume",
} as const;

const WRITE_ROLES = new Set(["write", "maintain", "admin"]);

/**
 * The chaos suite's invariants, read from the simulation's report (which computes duplicates,
 * killed healthy agents, orphans, worktrees and bad commits from the agents' own journal and the
 * remotes) and from the processes left after it.
 */
export function checkInvariants(input: {
  scenario: Scenario;
  report: SimulationReport;
  leftovers: readonly Leftover[];
  /** Runner and server processes that exited without being told to. */
  crashes: readonly string[];
}): InvariantResult[] {
  const { scenario, report } = input;
  const refs = (agents: readonly AgentRef[]) =>
    agents.map((a) => `${a.key} attempt ${a.attempt} (${a.behavior}, pid ${a.pid})`);
  return [
    result("no task lost", lostTasks(scenario, report)),
    result("no duplicate dispatch", refs(report.anomalies.duplicates)),
    result("no healthy agent killed", refs(report.anomalies.killedHealthy)),
    result("no orphan process", [
      ...refs(report.anomalies.orphans).map((a) => `agent ${a} alive after the fleet stopped`),
      ...input.leftovers.map((p) => `${p.role} pid ${p.pid} outlived the simulation`),
    ]),
    result(
      "no leaked worktree",
      report.leakedWorktrees > 0 ? [`${report.leakedWorktrees} worktree(s) left behind`] : [],
    ),
    result(
      "no bad commit on a default branch",
      report.badCommitsOnDefault > 0
        ? [`${report.badCommitsOnDefault} commit(s) with red post-merge CI and no revert`]
        : [],
    ),
    result("no fleet process crashed", [...input.crashes]),
    result(
      "no invalid GitHub API call",
      report.githubApiCalls.invalid > 0
        ? [`${report.githubApiCalls.invalid} call(s) GitHub's description does not allow`]
        : [],
    ),
  ];
}

function result(name: string, details: string[]): InvariantResult {
  return { name, ok: details.length === 0, details };
}

/**
 * Every issue a writer labeled has a task, and every issue's task ended in a terminal state or
 * an explained one (EXPLAINED_STATES). A fleet still busy at the deadline has lost track too.
 */
function lostTasks(scenario: Scenario, report: SimulationReport): string[] {
  const problems: string[] = [];
  if (!report.settled) problems.push("the fleet was still working at the settle deadline");
  if (report.faults.webhooksUnrecovered > 0) {
    problems.push(`${report.faults.webhooksUnrecovered} dropped webhook(s) never redelivered`);
  }
  const paused = new Set(report.pauses.filter((p) => p.to === null).map((p) => p.repo));
  for (const issue of scenario.issues) {
    const key = `${issue.repo}#${issue.number}`;
    const found = report.issues.find((i) => i.repo === issue.repo && i.number === issue.number);
    if (!found) {
      problems.push(`${key}: missing from the report`);
      continue;
    }
    const byWriter = labeledByWriter(scenario, issue);
    if (byWriter && (found.outcome === "ignored" || found.outcome === "refused")) {
      problems.push(`${key}: labeled by a writer, but no task (${found.outcome})`);
      continue;
    }
    // A label from someone without write access is refused, and must leave no task behind.
    if (found.outcome === "ignored" || found.outcome === "refused") continue;
    if (isTerminal(found.outcome)) continue;
    const why = explanation(found, paused.has(issue.repo));
    if (!why) problems.push(`${key}: left ${describe(found)}, neither terminal nor explained`);
  }
  return problems;
}

function isTerminal(state: string): boolean {
  return (TERMINAL_STATES as readonly string[]).includes(state);
}

function explanation(issue: IssueReport, repoPaused: boolean): string | null {
  switch (issue.outcome) {
    case "failed":
      return EXPLAINED_STATES.failed;
    case "needs_review":
      return EXPLAINED_STATES.needs_review;
    case "pr_open":
      return issue.flaggedReason === null ? null : EXPLAINED_STATES.pr_open;
    case "queued":
    case "retry_wait":
      return repoPaused ? EXPLAINED_STATES[issue.outcome] : null;
    default:
      return null;
  }
}

function describe(issue: IssueReport): string {
  const attempts = issue.attempts.map((a) => a.outcome ?? "running").join(",");
  return [
    issue.outcome,
    issue.decision ? `decision ${issue.decision}` : "",
    attempts ? `attempts ${attempts}` : "",
    issue.pr ? `pr #${issue.pr.number}` : "",
  ]
    .filter(Boolean)
    .join(", ");
}

/** A trigger label added by someone with write access or more (what must become a task). */
function labeledByWriter(scenario: Scenario, issue: ScenarioIssue): boolean {
  const repo = scenario.repos.find((r) => r.slug === issue.repo);
  if (!repo) return false;
  const trigger = triggerLabel(repo.fleetConfig);
  return issue.labels.some(
    (l) => "name" in l && l.name === trigger && WRITE_ROLES.has(repo.collaborators[l.by] ?? "none"),
  );
}

function triggerLabel(fleetConfig: string | undefined): string {
  if (fleetConfig === undefined) return DEFAULT_FLEET_CONFIG.trigger.label;
  const parsed = parseFleetConfig(parseYaml(fleetConfig));
  return parsed.ok ? parsed.config.trigger.label : DEFAULT_FLEET_CONFIG.trigger.label;
}
