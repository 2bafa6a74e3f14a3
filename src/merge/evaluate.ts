import { createHash } from "node:crypto";
import type { PolicyConfig } from "../config/fleet-config.js";
import {
  cancelPullTask,
  getTask,
  isRepoPaused,
  latestTaskEvent,
  queuePullWork,
  recordEvent,
  updatePullTask,
} from "../db/queries/index.js";
import type { Task } from "../db/schema.js";
import { withTaskLock } from "../db/task-lock.js";
import type { TaskState } from "../db/task-states.js";
import { transitionTask } from "../db/transition.js";
import { POLICY_CHECK_NAME, type PullGitHub, type PullInfo } from "../github/pull-github.js";
import { type Decision, decideMerge, type PolicyVerdict } from "../policies/merge-decision.js";
import { type PolicyReportInput, policyReport } from "./check-report.js";
import { deadlineAfter, type LockedContext, type MergeDeps, policyOf } from "./context.js";
import { type GatheredFacts, gatherPullFacts, policyFacts } from "./gather-facts.js";
import { pullLabelChanges } from "./labels.js";
import { mergePull, queueRebase, rebaseTriedOn, recoverMerging } from "./merge-step.js";
import { fixQueuedComment, flaggedComment, needsReviewComment } from "./messages.js";
import { chooseNextStep, type NextStep } from "./next-step.js";
import { reviewStanding } from "./reviews.js";
import { flagTask, recordMerged, toPullOpen } from "./task-actions.js";
import { failedChecksContext, reviewContext } from "./work-context.js";

/** The states in which the policy judges a task's PR. */
const JUDGED: readonly TaskState[] = ["pr_open", "needs_review"];

export type EvaluationOutcome =
  | { kind: "skipped"; reason: string }
  | { kind: "merged_outside"; taskId: number }
  | {
      kind: "judged";
      taskId: number;
      decision: Decision;
      step: NextStep["kind"];
      state: TaskState;
    };

const skipped = (reason: string): EvaluationOutcome => ({ kind: "skipped", reason });

/**
 * Judges the task's PR and acts on it: the `fleet/policy` check run, the labels, and at most one
 * step (flag, ask for review, wait, fix, rebase, merge). Runs under the task's lock, so any
 * number of servers and runners may call it for the same task; a second call on the same facts
 * posts nothing new.
 */
export async function evaluatePull(
  deps: MergeDeps,
  gh: PullGitHub,
  taskId: number,
): Promise<EvaluationOutcome> {
  return withTaskLock(deps.db, taskId, (db) => evaluateLocked({ ...deps, db }, gh, taskId));
}

async function evaluateLocked(
  ctx: LockedContext,
  gh: PullGitHub,
  taskId: number,
): Promise<EvaluationOutcome> {
  let task = await getTask(ctx.db, taskId);
  if (!task) return skipped("no such task");
  const prNumber = task.prNumber;
  if (prNumber === null) return skipped("the task has no pull request yet");
  if (task.state === "merging") {
    task = await recoverMerging(ctx, gh, task);
    if (!task) return skipped("an interrupted merge went through");
  }
  if (!JUDGED.includes(task.state)) return skipped(`the task is ${task.state}`);

  const pull = await gh.getPull(prNumber);
  if (pull.merged) {
    await recordMerged(ctx, task, pull.mergeSha, "outside the fleet");
    return { kind: "merged_outside", taskId };
  }
  if (pull.state === "closed") {
    // Its closed event was missed: the task ends as that event would have ended it.
    await cancelPullTask(ctx.db, { taskId, reason: "the pull request was closed without merging" });
    return skipped("the pull request is closed");
  }

  const policy = policyOf(task);
  const facts = await gatherPullFacts(gh, pull, policy);
  const standing = reviewStanding(facts.reviews, pull.headSha, (u) => facts.writers.has(u));
  const verdict = decideMerge(policy, policyFacts(facts, standing.approvedBy));
  const newHead = task.headSha !== pull.headSha;
  const step = chooseNextStep({
    verdict,
    changesRequested: standing.changesRequested,
    mergeable: pull.mergeable,
    flaggedReason: newHead ? null : task.flaggedReason,
    fixAttempts: task.fixAttempts,
    maxFixAttempts: policy.maxFixAttempts,
    fixesOff: task.kind === "revert" ? "a revert is not rewritten by an agent" : null,
    rebaseTriedOnHead: await rebaseTriedOn(ctx, task.id, pull.headSha),
    autoMerge: policy.autoMerge,
    paused: task.kind !== "revert" && (await isRepoPaused(ctx.db, task.repoFullName)),
  });
  ctx.log.debug(
    { taskId, pr: pull.number, head: pull.headSha, decision: verdict.decision, step: step.kind },
    "pull judged",
  );

  const checkRunId = await reportOnHead(ctx, gh, task, pull, {
    verdict,
    step,
    checks: facts.checks,
    standing,
    headSha: pull.headSha,
  });
  const keepDeadline = !newHead && task.checksDeadlineAt !== null;
  const recorded = await updatePullTask(ctx.db, task.id, JUDGED, {
    headSha: pull.headSha,
    policyCheckRunId: checkRunId,
    decision: verdict.decision,
    decisionReason: verdict.reason,
    ...(newHead ? { flaggedReason: null } : {}),
    checksDeadlineAt:
      step.kind !== "wait"
        ? null
        : keepDeadline
          ? task.checksDeadlineAt
          : deadlineAfter(ctx.clock, policy.checksTimeout),
  });
  if (!recorded) return skipped("the task moved on while it was judged");

  const labels = pullLabelChanges(pull.labels, verdict.size.bucket, step);
  if (labels.add.length) await gh.addLabels(pull.number, labels.add);
  for (const label of labels.remove) await gh.removeLabel(pull.number, label);

  const wasFlagged = task.flaggedReason !== null;
  const after = await act(ctx, gh, {
    task: recorded,
    pull,
    policy,
    verdict,
    step,
    facts,
    wasFlagged,
  });
  return {
    kind: "judged",
    taskId,
    decision: verdict.decision,
    step: step.kind,
    state: after?.state ?? recorded.state,
  };
}

/**
 * Writes the `fleet/policy` check run on the head: updated in place while the head stays, a new
 * run for a new head. The head a run belongs to comes from the last report, not from the task's
 * head column, which the runner also sets when it pushes. Skips the call when the report did not
 * change, so a repeated judgement posts nothing (and the run's own events cannot loop back here).
 */
async function reportOnHead(
  ctx: LockedContext,
  gh: PullGitHub,
  task: Task,
  pull: PullInfo,
  input: PolicyReportInput,
): Promise<number> {
  const report = policyReport(input);
  const fingerprint = createHash("sha256")
    .update(JSON.stringify([pull.headSha, report]))
    .digest("hex")
    .slice(0, 16);
  const last = await latestTaskEvent(ctx.db, task.id, "policy_reported");
  const sameHead =
    last?.data.headSha === pull.headSha && last.data.checkRunId === task.policyCheckRunId;
  const runId = sameHead ? task.policyCheckRunId : null;
  if (runId !== null && last?.data.fingerprint === fingerprint) return runId;
  const id = await gh.upsertCheckRun({
    id: runId,
    headSha: pull.headSha,
    name: POLICY_CHECK_NAME,
    ...report,
    detailsUrl: pull.url,
  });
  await recordEvent(ctx.db, {
    taskId: task.id,
    kind: "policy_reported",
    data: {
      checkRunId: id,
      headSha: pull.headSha,
      decision: input.verdict.decision,
      step: input.step.kind,
      fingerprint,
    },
  });
  return id;
}

interface ActInput {
  task: Task;
  pull: PullInfo;
  policy: PolicyConfig;
  verdict: PolicyVerdict;
  step: NextStep;
  facts: GatheredFacts;
  /** The task was flagged before this judgement (a new head cleared it). */
  wasFlagged: boolean;
}

/** Takes the one step; comments are posted only when the task's state or flag changed. */
async function act(ctx: LockedContext, gh: PullGitHub, input: ActInput): Promise<Task | null> {
  const { task, pull, policy, verdict, step } = input;
  switch (step.kind) {
    case "hold":
      return step.why === "flagged" ? task : toPullOpen(ctx.db, task, "hold", { why: step.why });
    case "wait":
      return toPullOpen(ctx.db, task, "approved", { approvedBy: verdict.approvedBy });
    case "merge":
      return mergePull(ctx, gh, task, pull, policy);
    case "rebase":
      return queueRebase(ctx, gh, task, pull, JUDGED);
    case "flag": {
      const flagged = await flagTask(ctx.db, task, step.reason, { headSha: pull.headSha });
      if (flagged) await gh.comment(pull.number, flaggedComment(step.reason));
      return flagged ?? task;
    }
    case "request_review":
      return requestReview(ctx, gh, input, step.reason);
    case "fix":
      return queueFix(ctx, gh, input);
  }
}

async function requestReview(
  ctx: LockedContext,
  gh: PullGitHub,
  input: ActInput,
  reason: string,
): Promise<Task | null> {
  const { task, pull, policy } = input;
  let entered: Task | null = null;
  if (task.state === "pr_open") {
    entered = await transitionTask(ctx.db, {
      taskId: task.id,
      to: "needs_review",
      from: ["pr_open"],
      event: { kind: "review_required", data: { reason, headSha: pull.headSha } },
    });
  } else if (input.wasFlagged) {
    // A new head lifted the flag; the PR now waits for an ordinary review.
    await recordEvent(ctx.db, {
      taskId: task.id,
      kind: "review_required",
      data: { reason, headSha: pull.headSha },
    });
    entered = task;
  }
  if (!entered) return task;
  await gh.comment(pull.number, needsReviewComment(reason, policy.reviewers));
  if (policy.reviewers.length) await gh.requestReviewers(pull.number, policy.reviewers);
  return entered;
}

async function queueFix(ctx: LockedContext, gh: PullGitHub, input: ActInput): Promise<Task | null> {
  const { task, pull, policy, verdict, step } = input;
  if (step.kind !== "fix") return task;
  let workContext: string;
  let detail: string;
  if (step.source === "checks") {
    const failed = new Set(verdict.failedChecks);
    workContext = failedChecksContext(input.facts.checks.filter((c) => failed.has(c.name)));
    detail = verdict.failedChecks.join(", ");
  } else {
    const comments = await gh.reviewComments(pull.number, step.review.id);
    workContext = reviewContext(step.review, comments);
    detail = `@${step.review.user}`;
  }
  const queued = await queuePullWork(ctx.db, {
    task,
    from: JUDGED,
    work: "fix",
    workContext,
    countsAsFix: true,
    event: {
      kind: "fix_queued",
      data: {
        source: step.source,
        headSha: pull.headSha,
        ...(step.source === "review"
          ? { reviewId: step.review.id }
          : { failed: verdict.failedChecks }),
      },
    },
  });
  if (queued) {
    await gh.comment(
      pull.number,
      fixQueuedComment({
        source: step.source,
        detail,
        attempt: queued.fixAttempts,
        max: policy.maxFixAttempts,
      }),
    );
  }
  return queued;
}
