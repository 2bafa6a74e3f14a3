import type { Logger } from "pino";
import type { Db } from "../db/client.js";
import { requeueFailedTask } from "../db/queries/index.js";
import { canTrigger } from "../github/permissions.js";
import type { IssueGitHub } from "../github/types.js";
import { FAILED_LABEL, MARKER, retryAcknowledgedComment } from "./messages.js";

export interface CommentFacts {
  deliveryId: string;
  repoFullName: string;
  issueNumber: number;
  isPullRequest: boolean;
  body: string;
  sender: { login: string; type: string };
}

/** True for a comment whose first line is the `/fleet retry` command. */
export function isRetryCommand(body: string): boolean {
  return /^\/fleet\s+retry\s*$/i.test(body.trim().split("\n")[0]?.trim() ?? "");
}

export type RetryCommandOutcome =
  | "not-a-command"
  | "refused"
  | "requeued"
  | "already-active"
  | "nothing-failed"
  | "duplicate-delivery";

/** `/fleet retry` from someone with write access re-queues the issue's failed task. */
export async function onRetryCommand(
  deps: { db: Db; log: Logger },
  gh: Pick<IssueGitHub, "roleOf" | "comment" | "removeLabel">,
  facts: CommentFacts,
): Promise<RetryCommandOutcome> {
  if (facts.isPullRequest || !isRetryCommand(facts.body)) return "not-a-command";
  if (facts.sender.type === "Bot") return "not-a-command";
  const role = await gh.roleOf(facts.sender.login);
  if (!canTrigger(role)) {
    deps.log.info(
      { sender: facts.sender.login, role },
      "/fleet retry from a user without write access",
    );
    return "refused";
  }
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
      deps.log.info(
        { taskId: result.task.id, by: facts.sender.login },
        "task requeued by /fleet retry",
      );
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
