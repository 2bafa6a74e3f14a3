import type { Logger } from "pino";
import type { Db } from "../db/client.js";
import {
  getTask,
  type HumanRetryResult,
  recordDeliveryOnce,
  recordEvent,
  requeueFailedTask,
} from "../db/queries/index.js";
import { canTrigger } from "../github/permissions.js";
import type { IssueGitHub } from "../github/types.js";
import { FAILED_LABEL, MARKER, retryAcknowledgedComment } from "../tasks/messages.js";
import { newlyTickedRetries } from "./checkboxes.js";
import { dashboardIssueOf, forgetBodyHash } from "./issue-state.js";

export function tickRefusalComment(login: string): string {
  return `${MARKER}
@${login}, thanks — agent-fleet only retries tasks for people with write, maintain or admin access to this repository, so the ticked box was not acted on.`;
}

/** The parts of an `issues.edited` payload the retry boxes need. */
export interface DashboardEditFacts {
  deliveryId: string;
  repoFullName: string;
  issueNumber: number;
  body: string;
  /** `changes.body.from`; null when the edit left the body alone (e.g. a new title). */
  previousBody: string | null;
  sender: { login: string; type: string };
}

export type CheckboxRetryGitHub = Pick<IssueGitHub, "roleOf" | "comment" | "removeLabel">;

export type CheckboxRetryOutcome =
  | { kind: "ignored"; reason: "bot" | "not-dashboard" | "body-unchanged" | "nothing-ticked" }
  | { kind: "refused"; role: string }
  | { kind: "duplicate-delivery" }
  | {
      kind: "retried";
      results: Array<{ taskId: number; result: HumanRetryResult["kind"] | "unknown-task" }>;
    };

/**
 * A writer ticked retry boxes on the dashboard issue: each ticked failed task is queued again
 * through the same domain function as `/fleet retry`. Whatever happens, the body the human
 * edited no longer matches the stored hash, so it is forgotten and the next render (woken by
 * the event recorded here) rewrites the issue, unticking the boxes.
 */
export async function retryFromCheckbox(
  deps: { db: Db; log: Logger },
  gh: CheckboxRetryGitHub,
  facts: DashboardEditFacts,
): Promise<CheckboxRetryOutcome> {
  // The fleet's own rewrites come back as edits too; acting on them would loop.
  if (facts.sender.type === "Bot") return { kind: "ignored", reason: "bot" };
  const { db } = deps;
  const repo = facts.repoFullName;
  if ((await dashboardIssueOf(db, repo)) !== facts.issueNumber) {
    return { kind: "ignored", reason: "not-dashboard" };
  }
  if (facts.previousBody === null) return { kind: "ignored", reason: "body-unchanged" };
  await forgetBodyHash(db, repo, facts.issueNumber);
  const log = deps.log.child({ repo, issue: facts.issueNumber, by: facts.sender.login });
  const by = facts.sender.login;
  const wake = (kind: string, data: Record<string, unknown> = {}) =>
    recordEvent(db, { kind, data: { repo, issue: facts.issueNumber, by, ...data } });

  const ticked = newlyTickedRetries(facts.previousBody, facts.body);
  if (ticked.length === 0) {
    await wake("dashboard_edited");
    return { kind: "ignored", reason: "nothing-ticked" };
  }

  const role = await gh.roleOf(by);
  if (!canTrigger(role)) {
    const fresh = await recordDeliveryOnce(db, facts.deliveryId, "issues", "edited", {
      kind: "dashboard_retry_refused",
      data: { repo, issue: facts.issueNumber, by, role, tasks: ticked },
      effect: () => gh.comment(facts.issueNumber, tickRefusalComment(by)),
    });
    log.info({ role, tasks: ticked }, "retry box ticked by a user without write access");
    return fresh ? { kind: "refused", role } : { kind: "duplicate-delivery" };
  }

  const results: Array<{ taskId: number; result: HumanRetryResult["kind"] | "unknown-task" }> = [];
  for (const taskId of ticked) {
    const task = await getTask(db, taskId);
    if (!task || task.repoFullName !== repo) {
      results.push({ taskId, result: "unknown-task" });
      continue;
    }
    const outcome = await requeueFailedTask(db, {
      repoFullName: repo,
      issueNumber: task.issueNumber,
      requestedBy: by,
      // One edit may tick several boxes: each retry is once per delivery and task.
      deliveryId: `${facts.deliveryId}/retry/${taskId}`,
    });
    results.push({ taskId, result: outcome.kind });
    if (outcome.kind === "requeued") {
      await gh.removeLabel(task.issueNumber, FAILED_LABEL);
      await gh.comment(task.issueNumber, retryAcknowledgedComment(by));
      log.info({ taskId, issue: task.issueNumber }, "task requeued from the dashboard");
    }
  }
  if (results.every((r) => r.result === "duplicate-delivery"))
    return { kind: "duplicate-delivery" };
  await wake("dashboard_retry", { results });
  return { kind: "retried", results };
}
