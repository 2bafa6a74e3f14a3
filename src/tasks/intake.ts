import type { Logger } from "pino";
import { DEFAULT_FLEET_CONFIG } from "../config/fleet-config.js";
import type { Db } from "../db/client.js";
import { cancelActiveTask, enqueueTask, recordDeliveryOnce } from "../db/queries/index.js";
import { canTrigger, isBotActor } from "../github/permissions.js";
import type { IssueGitHub } from "../github/types.js";
import { type ConfigHealthGitHub, locateConfigErrors, syncConfigHealth } from "./config-health.js";
import { loadFleetConfig } from "./fleet-config-loader.js";
import type { IssueFacts } from "./issue-facts.js";
import { configErrorComment, refusalComment } from "./messages.js";

export interface IntakeDeps {
  db: Db;
  log: Logger;
}

export type LabeledOutcome =
  | { kind: "ignored"; reason: string }
  | { kind: "duplicate-delivery" }
  | { kind: "config-error" }
  | { kind: "refused"; role: string }
  | { kind: "enqueued"; taskId: number; created: boolean };

/** `issues.labeled`: the trigger label from a writer becomes exactly one queued task. */
export async function onIssueLabeled(
  deps: IntakeDeps,
  gh: IssueGitHub,
  facts: IssueFacts,
  health: ConfigHealthGitHub,
): Promise<LabeledOutcome> {
  const log = deps.log.child({ repo: facts.repo.fullName, issue: facts.issue.number });
  const loaded = await loadFleetConfig(gh);
  const repo = { fullName: facts.repo.fullName, installationId: facts.installationId };
  if (!loaded.ok) {
    // With a broken file we cannot know a custom trigger label; only the default one speaks up.
    if (facts.label !== DEFAULT_FLEET_CONFIG.trigger.label) {
      return { kind: "ignored", reason: "fleet.yml is invalid and the label is not the default" };
    }
    const located = await locateConfigErrors(health, facts.repo.defaultBranch, loaded.errors);
    const report = await syncConfigHealth(deps, health, repo, located);
    const errorIssue = report.kind === "reported" ? report.issue : null;
    const fresh = await recordDeliveryOnce(deps.db, facts.deliveryId, "issues", "labeled", {
      kind: "config_error",
      data: { repo: facts.repo.fullName, issue: facts.issue.number, errors: loaded.errors },
      effect: () => gh.comment(facts.issue.number, configErrorComment(loaded.errors, errorIssue)),
    });
    log.warn({ errors: loaded.errors }, "fleet.yml is invalid; nothing dispatched");
    return fresh ? { kind: "config-error" } : { kind: "duplicate-delivery" };
  }
  // A valid file closes the configuration error issue, if one was open.
  await syncConfigHealth(deps, health, repo, []);
  const config = loaded.config;
  if (facts.label !== config.trigger.label) {
    log.debug({ label: facts.label }, "not the trigger label; ignored");
    return { kind: "ignored", reason: `label ${facts.label} is not the trigger label` };
  }

  if (isBotActor(facts.sender) && !config.trigger.allowBots.includes(facts.sender.login)) {
    // No comment: a bot would not read it, and two bots could answer each other forever.
    log.info({ sender: facts.sender.login }, "label from a bot not in trigger.allowBots; ignored");
    return { kind: "ignored", reason: `${facts.sender.login} is a bot not in trigger.allowBots` };
  }
  // An allowed bot is trusted by name: GitHub has no collaborator role for an app's bot.
  const role = isBotActor(facts.sender) ? "write" : await gh.roleOf(facts.sender.login);
  if (!canTrigger(role)) {
    const fresh = await recordDeliveryOnce(deps.db, facts.deliveryId, "issues", "labeled", {
      kind: "refused",
      data: {
        repo: facts.repo.fullName,
        issue: facts.issue.number,
        sender: facts.sender.login,
        role,
      },
      effect: () =>
        gh.comment(facts.issue.number, refusalComment(facts.sender.login, config.trigger.label)),
    });
    log.info(
      { sender: facts.sender.login, role },
      "label from a user without write access; refused",
    );
    return fresh ? { kind: "refused", role } : { kind: "duplicate-delivery" };
  }

  const result = await enqueueTask(deps.db, {
    deliveryId: facts.deliveryId,
    repoFullName: facts.repo.fullName,
    repoId: facts.repo.id,
    installationId: facts.installationId,
    issueNumber: facts.issue.number,
    issueTitle: facts.issue.title,
    issueBody: facts.issue.body,
    defaultBranch: facts.repo.defaultBranch,
    cloneUrl: facts.repo.cloneUrl,
    requestedBy: facts.sender.login,
    config,
  });
  if (result.duplicateDelivery) return { kind: "duplicate-delivery" };
  if (!result.task) return { kind: "duplicate-delivery" };
  log.info({ taskId: result.task.id, created: result.created }, "task enqueued");
  return { kind: "enqueued", taskId: Number(result.task.id), created: result.created };
}

export type CancelOutcome =
  | { kind: "ignored"; reason: string }
  | { kind: "cancelled"; taskId: number }
  | { kind: "nothing-active" };

/** `issues.unlabeled` (the trigger label) or `issues.closed`: stop whatever is queued or running. */
export async function onIssueWithdrawn(
  deps: IntakeDeps,
  gh: Pick<IssueGitHub, "readFleetConfig">,
  facts: IssueFacts,
  reason: "unlabeled" | "closed",
): Promise<CancelOutcome> {
  if (reason === "unlabeled") {
    const loaded = await loadFleetConfig(gh);
    const trigger = loaded.ok ? loaded.config.trigger.label : DEFAULT_FLEET_CONFIG.trigger.label;
    if (facts.label !== trigger) {
      deps.log.debug({ label: facts.label }, "not the trigger label; ignored");
      return { kind: "ignored", reason: `label ${facts.label} is not the trigger label` };
    }
  }
  const task = await cancelActiveTask(deps.db, {
    repoFullName: facts.repo.fullName,
    issueNumber: facts.issue.number,
    reason,
  });
  if (!task) return { kind: "nothing-active" };
  deps.log.info(
    { repo: facts.repo.fullName, issue: facts.issue.number, taskId: task.id, reason },
    "task cancelled",
  );
  return { kind: "cancelled", taskId: Number(task.id) };
}
