import type { Context } from "probot";
import type { CommentFacts } from "../tasks/commands.js";
import type { IssueFacts } from "../tasks/issue-facts.js";

type IssueContext = Context<"issues.labeled" | "issues.unlabeled" | "issues.closed">;

/**
 * Lifts the facts the domain needs out of an issues webhook payload. Null without an
 * installation: there is none to act as, and failing the delivery would not bring one.
 */
export function issueFacts(context: IssueContext): IssueFacts | null {
  const { payload } = context;
  const installationId = payload.installation?.id;
  if (installationId === undefined) {
    context.log.warn(
      { event: `${context.name}.${payload.action}`, delivery: context.id },
      "issues delivery without an installation; ignored",
    );
    return null;
  }
  const label = "label" in payload ? payload.label?.name : undefined;
  return {
    deliveryId: context.id,
    installationId,
    repo: {
      fullName: payload.repository.full_name,
      id: payload.repository.id,
      defaultBranch: payload.repository.default_branch,
      cloneUrl: payload.repository.clone_url,
    },
    issue: {
      number: payload.issue.number,
      title: payload.issue.title,
      body: payload.issue.body ?? "",
    },
    sender: { login: payload.sender.login, type: payload.sender.type },
    ...(label === undefined ? {} : { label }),
  };
}

/** The parts of an `issue_comment.created` payload a comment command needs. */
export function commentFacts(context: Context<"issue_comment.created">): CommentFacts {
  const { payload } = context;
  return {
    deliveryId: context.id,
    repoFullName: payload.repository.full_name,
    issueNumber: payload.issue.number,
    isPullRequest: Boolean(payload.issue.pull_request),
    commentId: payload.comment.id,
    body: payload.comment.body,
    sender: { login: payload.sender.login, type: payload.sender.type },
  };
}
