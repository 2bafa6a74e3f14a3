import type { ApplicationFunction, Context } from "probot";
import { type Clock, systemClock } from "../config/clock.js";
import { retryFromCheckbox } from "../dashboard-issue/retry-from-checkbox.js";
import type { Db } from "../db/client.js";
import { resumeRepo } from "../db/queries/index.js";
import { configHealthGitHub } from "../github/config-health-github.js";
import { type FleetConfigCache, uncachedFleetConfig } from "../github/fleet-config-cache.js";
import { issueGitHub } from "../github/octokit-github.js";
import { pullGitHub } from "../github/pull-github.js";
import { onChecksChanged, onPullChanged, onPullClosed, reevaluateRepo } from "../merge/index.js";
import { onFleetCommand } from "../tasks/commands.js";
import { checkConfigOnPull, onDefaultBranchPush } from "../tasks/config-health.js";
import { onIssueLabeled, onIssueWithdrawn } from "../tasks/intake.js";
import { commentFacts, issueFacts } from "./issue-facts.js";
import { checkRunFacts, checkSuiteFacts, pullClosedFacts, statusFacts } from "./pull-facts.js";

const HANDLED = new Set([
  "issues.labeled",
  "issues.unlabeled",
  "issues.closed",
  "issues.edited",
  "issue_comment.created",
  "pull_request.opened",
  "pull_request.reopened",
  "pull_request.synchronize",
  "pull_request.edited",
  "pull_request.closed",
  "pull_request_review.submitted",
  "check_run.completed",
  "check_suite.completed",
  "status",
  "push",
]);

function githubFor(context: Context<"issues" | "issue_comment">, configs: FleetConfigCache) {
  const repo = context.payload.repository.full_name;
  return issueGitHub(context.octokit, repo, () =>
    configs.read(repo, () => context.config("fleet.yml")),
  );
}

type PullContext = Context<
  "pull_request" | "pull_request_review" | "check_run" | "check_suite" | "status"
>;

function pullGitHubFor(context: PullContext) {
  return pullGitHub(context.octokit, context.payload.repository.full_name);
}

/** The Probot app: each handler turns one event into one domain call. */
export function fleetApp(deps: {
  db: Db;
  clock?: Clock;
  /** Without one, every event that needs fleet.yml reads it from GitHub. */
  configCache?: FleetConfigCache;
}): ApplicationFunction {
  const configs = deps.configCache ?? uncachedFleetConfig;
  return (app) => {
    const domain = (context: { log: Context["log"] }) => ({ db: deps.db, log: context.log });
    const policy = (context: { log: Context["log"] }) => ({
      ...domain(context),
      clock: deps.clock ?? systemClock,
    });

    app.on("issues.labeled", async (context) => {
      const facts = issueFacts(context);
      if (!facts) return;
      const health = configHealthGitHub(context.octokit, context.payload.repository.full_name);
      await onIssueLabeled(domain(context), githubFor(context, configs), facts, health);
    });
    app.on("issues.unlabeled", async (context) => {
      const facts = issueFacts(context);
      if (facts)
        await onIssueWithdrawn(domain(context), githubFor(context, configs), facts, "unlabeled");
    });
    app.on("issues.closed", async (context) => {
      const facts = issueFacts(context);
      if (facts)
        await onIssueWithdrawn(domain(context), githubFor(context, configs), facts, "closed");
    });
    app.on("issues.edited", async (context) => {
      const { payload } = context;
      await retryFromCheckbox(domain(context), githubFor(context, configs), {
        deliveryId: context.id,
        repoFullName: payload.repository.full_name,
        issueNumber: payload.issue.number,
        body: payload.issue.body ?? "",
        previousBody: payload.changes.body?.from ?? null,
        sender: { login: payload.sender.login, type: payload.sender.type },
      });
    });
    app.on("issue_comment.created", async (context) => {
      const repo = context.payload.repository.full_name;
      await onFleetCommand(
        {
          ...domain(context),
          // Held PRs are judged again at once rather than at their next event.
          resumeRepo: async (fullName, by) => {
            const resumed = await resumeRepo(deps.db, fullName, by);
            if (resumed) await reevaluateRepo(policy(context), pullGitHub(context.octokit, repo));
            return resumed;
          },
        },
        githubFor(context, configs),
        commentFacts(context),
      );
    });
    app.on("push", async (context) => {
      const { payload } = context;
      const installationId = payload.installation?.id;
      if (installationId === undefined) return;
      const touched = payload.commits.flatMap((c) => [
        ...(c.added ?? []),
        ...(c.modified ?? []),
        ...(c.removed ?? []),
      ]);
      const defaultBranch = payload.repository.default_branch ?? "main";
      configs.notePush({
        repoFullName: payload.repository.full_name,
        ref: payload.ref,
        defaultBranch,
        touched,
        commitCount: payload.commits.length,
        forced: payload.forced,
      });
      await onDefaultBranchPush(
        domain(context),
        configHealthGitHub(context.octokit, payload.repository.full_name),
        {
          repo: {
            fullName: payload.repository.full_name,
            installationId,
            defaultBranch,
          },
          ref: payload.ref,
          after: payload.after,
          touched,
        },
      );
    });
    app.on(
      [
        "pull_request.opened",
        "pull_request.reopened",
        "pull_request.synchronize",
        "pull_request.edited",
      ],
      async (context) => {
        const pull = context.payload.pull_request;
        await onPullChanged(policy(context), pullGitHubFor(context), pull.number);
        if (context.payload.action !== "edited") {
          const health = configHealthGitHub(context.octokit, context.payload.repository.full_name);
          await checkConfigOnPull(health, { number: pull.number, headSha: pull.head.sha });
        }
      },
    );
    app.on("pull_request.closed", async (context) => {
      await onPullClosed(policy(context), pullGitHubFor(context), pullClosedFacts(context));
    });
    app.on("pull_request_review.submitted", async (context) => {
      const pr = context.payload.pull_request.number;
      await onPullChanged(policy(context), pullGitHubFor(context), pr);
    });
    app.on("check_run.completed", async (context) => {
      const facts = checkRunFacts(context);
      if (facts) await onChecksChanged(policy(context), pullGitHubFor(context), facts);
    });
    app.on("check_suite.completed", async (context) => {
      await onChecksChanged(policy(context), pullGitHubFor(context), checkSuiteFacts(context));
    });
    app.on("status", async (context) => {
      const facts = statusFacts(context);
      if (facts) await onChecksChanged(policy(context), pullGitHubFor(context), facts);
    });
    app.onAny(async (context) => {
      const name =
        "action" in context.payload ? `${context.name}.${context.payload.action}` : context.name;
      if (!HANDLED.has(name)) app.log.debug({ event: name, delivery: context.id }, "event ignored");
    });
  };
}
