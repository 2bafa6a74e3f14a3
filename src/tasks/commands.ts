import type { Logger } from "pino";
import type { Db } from "../db/client.js";
import {
  cancelActiveTask,
  latestTaskFor,
  listEvents,
  recordDeliveryOnce,
  requeueFailedTask,
} from "../db/queries/index.js";
import { canTrigger, isBotActor } from "../github/permissions.js";
import type { IssueGitHub } from "../github/types.js";
import {
  cancelledByCommandComment,
  commandRefusalComment,
  FAILED_LABEL,
  MARKER,
  retryAcknowledgedComment,
  statusComment,
  unknownCommandComment,
} from "./messages.js";

export const FLEET_COMMANDS = ["retry", "cancel", "resume", "status"] as const;
export type FleetCommand = (typeof FLEET_COMMANDS)[number];

export interface CommentFacts {
  deliveryId: string;
  repoFullName: string;
  issueNumber: number;
  isPullRequest: boolean;
  commentId: number;
  body: string;
  sender: { login: string; type: string };
}

/** What the commands need from GitHub. */
export type CommandGitHub = Pick<IssueGitHub, "roleOf" | "comment" | "removeLabel" | "react">;

export interface CommandDeps {
  db: Db;
  log: Logger;
  /** Clears the repo's pause; true when it was paused. */
  resumeRepo(repoFullName: string, by: string): Promise<boolean>;
}

export type ParsedCommand = { verb: FleetCommand } | { unknown: string } | null;

/** A command is the first line of a comment: `/fleet <verb>`. Anything else is conversation. */
export function parseCommand(body: string): ParsedCommand {
  const first = body.trim().split("\n")[0]?.trim() ?? "";
  const match = /^\/fleet(?:\s+(\S+))?\s*$/i.exec(first);
  if (!match) return null;
  const verb = (match[1] ?? "").toLowerCase();
  return (FLEET_COMMANDS as readonly string[]).includes(verb)
    ? { verb: verb as FleetCommand }
    : { unknown: verb };
}

export type CommandOutcome =
  | "not-a-command"
  | "duplicate-delivery"
  | "refused"
  | "unknown"
  | "requeued"
  | "already-active"
  | "nothing-failed"
  | "cancelled"
  | "nothing-to-cancel"
  | "resumed"
  | "not-paused"
  | "status";

/**
 * `/fleet retry|cancel|resume|status` from someone with write access. Each answer is a reaction
 * or a comment, given once per webhook delivery; anyone else gets a polite refusal.
 */
export async function onFleetCommand(
  deps: CommandDeps,
  gh: CommandGitHub,
  facts: CommentFacts,
): Promise<CommandOutcome> {
  const parsed = parseCommand(facts.body);
  // Bots (the fleet included) never command the fleet; their text may quote a command.
  if (!parsed || isBotActor(facts.sender)) return "not-a-command";
  const log = deps.log.child({ repo: facts.repoFullName, issue: facts.issueNumber });
  const once = (kind: string, effect: () => Promise<unknown>, data = {}) =>
    recordDeliveryOnce(deps.db, facts.deliveryId, "issue_comment", "created", {
      kind,
      data: { repo: facts.repoFullName, issue: facts.issueNumber, by: facts.sender.login, ...data },
      effect,
    });

  const role = await gh.roleOf(facts.sender.login);
  if (!canTrigger(role)) {
    const fresh = await once("command_refused", () =>
      gh.comment(facts.issueNumber, commandRefusalComment(facts.sender.login)),
    );
    log.info(
      { sender: facts.sender.login, role },
      "fleet command from a user without write access",
    );
    return fresh ? "refused" : "duplicate-delivery";
  }
  if ("unknown" in parsed) {
    const fresh = await once("command_unknown", () =>
      gh.comment(facts.issueNumber, unknownCommandComment(facts.sender.login, parsed.unknown)),
    );
    return fresh ? "unknown" : "duplicate-delivery";
  }
  switch (parsed.verb) {
    case "retry":
      return retry(deps, gh, facts);
    case "cancel":
      return cancel(deps, gh, facts);
    case "resume": {
      let resumed = false;
      const fresh = await once("command_resume", async () => {
        resumed = await deps.resumeRepo(facts.repoFullName, facts.sender.login);
        await (resumed
          ? gh.react(facts.commentId, "+1")
          : gh.comment(
              facts.issueNumber,
              `${MARKER}\n@${facts.sender.login}, ${facts.repoFullName} is not paused; nothing to resume.`,
            ));
      });
      if (!fresh) return "duplicate-delivery";
      if (resumed) log.info({ by: facts.sender.login }, "repo resumed by command");
      return resumed ? "resumed" : "not-paused";
    }
    case "status": {
      const task = await latestTaskFor(deps.db, facts.repoFullName, facts.issueNumber);
      const timeline = task ? await listEvents(deps.db, task.id) : [];
      const fresh = await once("command_status", () =>
        gh.comment(facts.issueNumber, statusComment(task, timeline)),
      );
      return fresh ? "status" : "duplicate-delivery";
    }
  }
}

async function retry(
  deps: CommandDeps,
  gh: CommandGitHub,
  facts: CommentFacts,
): Promise<CommandOutcome> {
  const result = await requeueFailedTask(deps.db, {
    repoFullName: facts.repoFullName,
    issueNumber: facts.issueNumber,
    requestedBy: facts.sender.login,
    deliveryId: facts.deliveryId,
  });
  switch (result.kind) {
    case "requeued":
      await gh.removeLabel(facts.issueNumber, FAILED_LABEL);
      await gh.comment(facts.issueNumber, retryAcknowledgedComment(facts.sender.login));
      deps.log.info({ taskId: result.task.id, by: facts.sender.login }, "task requeued by command");
      return "requeued";
    case "already-active":
      await gh.comment(
        facts.issueNumber,
        `${MARKER}\n@${facts.sender.login}, an agent is already on this issue (task state \`${result.task.state}\`), so there is nothing to retry.`,
      );
      return "already-active";
    case "nothing-failed":
      await gh.comment(
        facts.issueNumber,
        `${MARKER}\n@${facts.sender.login}, there is no failed agent-fleet task on this issue to retry. Add the trigger label to start one.`,
      );
      return "nothing-failed";
    case "duplicate-delivery":
      return "duplicate-delivery";
  }
}

async function cancel(
  deps: CommandDeps,
  gh: CommandGitHub,
  facts: CommentFacts,
): Promise<CommandOutcome> {
  let cancelled = false;
  const fresh = await recordDeliveryOnce(deps.db, facts.deliveryId, "issue_comment", "created", {
    kind: "command_cancel",
    data: { repo: facts.repoFullName, issue: facts.issueNumber, by: facts.sender.login },
    effect: async () => {
      const target = await latestTaskFor(deps.db, facts.repoFullName, facts.issueNumber);
      const task = target
        ? await cancelActiveTask(deps.db, {
            repoFullName: facts.repoFullName,
            issueNumber: target.issueNumber,
            reason: `/fleet cancel by ${facts.sender.login}`,
            // A human command may also stop the fleet from merging an open PR.
            includeOpenPulls: true,
          })
        : null;
      cancelled = task !== null;
      if (task) {
        await gh.react(facts.commentId, "+1");
        await gh.comment(facts.issueNumber, cancelledByCommandComment(facts.sender.login, task));
        deps.log.info({ taskId: task.id, by: facts.sender.login }, "task cancelled by command");
        return;
      }
      await gh.comment(
        facts.issueNumber,
        `${MARKER}\n@${facts.sender.login}, there is no queued, running or open agent-fleet task here to cancel.`,
      );
    },
  });
  if (!fresh) return "duplicate-delivery";
  return cancelled ? "cancelled" : "nothing-to-cancel";
}
