import type { ApplicationFunction, Context } from "probot";
import type { Db } from "../db/client.js";
import { issueGitHub } from "../github/octokit-github.js";
import { onIssueLabeled, onIssueWithdrawn } from "../tasks/intake.js";
import { onRetryCommand } from "../tasks/retry-command.js";
import { commentFacts, issueFacts } from "./issue-facts.js";

const HANDLED = new Set([
  "issues.labeled",
  "issues.unlabeled",
  "issues.closed",
  "issue_comment.created",
]);

function githubFor(context: Context<"issues" | "issue_comment">) {
  const repo = context.payload.repository.full_name;
  return issueGitHub(context.octokit, repo, () => context.config("fleet.yml"));
}

/** The Probot app: each handler turns one event into one domain call. */
export function fleetApp(deps: { db: Db }): ApplicationFunction {
  return (app) => {
    const domain = (context: { log: Context["log"] }) => ({ db: deps.db, log: context.log });

    app.on("issues.labeled", async (context) => {
      await onIssueLabeled(domain(context), githubFor(context), issueFacts(context));
    });
    app.on("issues.unlabeled", async (context) => {
      await onIssueWithdrawn(domain(context), githubFor(context), issueFacts(context), "unlabeled");
    });
    app.on("issues.closed", async (context) => {
      await onIssueWithdrawn(domain(context), githubFor(context), issueFacts(context), "closed");
    });
    app.on("issue_comment.created", async (context) => {
      await onRetryCommand(domain(context), githubFor(context), commentFacts(context));
    });
    app.onAny(async (context) => {
      const name =
        "action" in context.payload ? `${context.name}.${context.payload.action}` : context.name;
      if (!HANDLED.has(name)) app.log.debug({ event: name, delivery: context.id }, "event ignored");
    });
  };
}
