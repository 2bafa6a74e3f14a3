import {
  cancelPullTask,
  findOpenPullTasks,
  findPullTasksForCheck,
  findTaskForPull,
  getTask,
  PULL_STATES,
} from "../db/queries/index.js";
import type { Task } from "../db/schema.js";
import { withTaskLock } from "../db/task-lock.js";
import type { TaskState } from "../db/task-states.js";
import type { PullGitHub, PullGitHubFactory } from "../github/pull-github.js";
import type { MergeDeps } from "./context.js";
import { type EvaluationOutcome, evaluatePull } from "./evaluate.js";
import { onDefaultBranchChecks, type PostMergeOutcome } from "./post-merge.js";
import { recordMerged } from "./task-actions.js";

/**
 * pull_request opened/reopened/edited/synchronize and pull_request_review.submitted: the PR's
 * task (if the fleet has one) is judged again on the current head. Null for a PR not the fleet's.
 */
export async function onPullChanged(
  deps: MergeDeps,
  gh: PullGitHub,
  prNumber: number,
): Promise<EvaluationOutcome | null> {
  const task = await findTaskForPull(deps.db, gh.repoFullName, prNumber);
  if (!task) return null;
  return evaluatePull(deps, gh, task.id);
}

export interface CheckEventFacts {
  /** The commit the check run, check suite or status is on. */
  sha: string;
  /** PRs the event names (check runs and suites list them; statuses do not). */
  prNumbers: readonly number[];
}

/**
 * check_run.completed, check_suite.completed, status: judges the open PRs whose head it is, and
 * settles the merged tasks whose merge commit it is.
 */
export async function onChecksChanged(
  deps: MergeDeps,
  gh: PullGitHub,
  facts: CheckEventFacts,
): Promise<{ judged: EvaluationOutcome[]; settled: PostMergeOutcome[] }> {
  const tasks = await findPullTasksForCheck(deps.db, gh.repoFullName, facts.sha, facts.prNumbers);
  const judged: EvaluationOutcome[] = [];
  for (const task of tasks) judged.push(await evaluatePull(deps, gh, task.id));
  const settled = await onDefaultBranchChecks(deps, gh, gh.repoFullName, facts.sha);
  return { judged, settled };
}

export interface PullClosedFacts {
  prNumber: number;
  merged: boolean;
  mergeSha: string | null;
  mergedBy: string | null;
}

export type PullClosedOutcome =
  | { kind: "ignored"; reason: string }
  | { kind: "merged"; taskId: number }
  | { kind: "cancelled"; taskId: number };

/** Fix, rebase or revert work that has not pushed yet: moot once the PR is closed. */
const PENDING_WORK: readonly TaskState[] = ["queued", "retry_wait", "running"];

/**
 * pull_request.closed. Merged by a human: the task is merged and its merge commit watched like
 * the fleet's own. Closed without merging: the task is cancelled, with any fix work under way.
 */
export async function onPullClosed(
  deps: MergeDeps,
  gh: PullGitHub,
  facts: PullClosedFacts,
): Promise<PullClosedOutcome> {
  const found = await findTaskForPull(deps.db, gh.repoFullName, facts.prNumber);
  if (!found) return { kind: "ignored", reason: "not a fleet pull request" };
  return withTaskLock(deps.db, found.id, async (db) => {
    const task = await getTask(db, found.id);
    if (!task) return { kind: "ignored", reason: "the task is gone" };
    const ctx = { ...deps, db };
    if (facts.merged && (PULL_STATES as readonly TaskState[]).includes(task.state)) {
      const merged = await recordMerged(ctx, task, facts.mergeSha, facts.mergedBy ?? "a human");
      if (merged) return { kind: "merged", taskId: task.id };
      return { kind: "ignored", reason: "the task moved on" };
    }
    const open = [...PULL_STATES, ...PENDING_WORK] as readonly TaskState[];
    if (!open.includes(task.state)) return { kind: "ignored", reason: `the task is ${task.state}` };
    const reason = facts.merged
      ? "the pull request was merged while more work on it was pending"
      : "the pull request was closed without merging";
    const cancelled = await cancelPullTask(db, { taskId: task.id, reason });
    return cancelled
      ? { kind: "cancelled", taskId: task.id }
      : { kind: "ignored", reason: "the task moved on" };
  });
}

/** Judges every open fleet PR of the repo again, e.g. after `/fleet resume` lifted a pause. */
export async function reevaluateRepo(
  deps: MergeDeps,
  gh: PullGitHub,
): Promise<EvaluationOutcome[]> {
  const outcomes: EvaluationOutcome[] = [];
  for (const task of await findOpenPullTasks(deps.db, gh.repoFullName)) {
    outcomes.push(await evaluatePull(deps, gh, task.id));
  }
  return outcomes;
}

/**
 * The runner's `afterPullOpened` callback: judges the task's freshly opened or updated PR with a
 * client built from the app's credentials.
 */
export function pullEvaluator(
  deps: MergeDeps,
  ghFactory: PullGitHubFactory,
): (task: Pick<Task, "id" | "installationId" | "repoFullName">) => Promise<void> {
  return async (task) => {
    const gh = await ghFactory.forRepo(task.installationId, task.repoFullName);
    const outcome = await evaluatePull(deps, gh, task.id);
    deps.log.info({ taskId: task.id, outcome }, "pull judged after the runner's push");
  };
}
