import type { Core } from "../core.js";
import { HttpError, notFound, paginate, validationFailed } from "../http.js";
import { timestamp } from "../store.js";
import type { AccessLevel, InstallationToken, Issue, Reaction, Repo } from "../types.js";
import type { RouteContext, Routes } from "./route.js";

/** Issue routes also serve pull numbers, which accept the pull_requests permission as well. */
function issueFor(
  core: Core,
  token: InstallationToken | undefined,
  params: Record<string, string>,
  level: AccessLevel,
): { repo: Repo; issue: Issue } {
  const repo = core.repoFor(token, params, ["issues", "pull_requests"], level);
  const issue = core.store.issue(repo.fullName, Number(params.issue_number));
  if (!issue) throw notFound();
  core.repoFor(token, params, issue.isPull ? ["issues", "pull_requests"] : ["issues"], level);
  return { repo, issue };
}

const labelName = (item: string | { name?: string }) =>
  typeof item === "string" ? item : String(item.name ?? "");

/** Adds labels, raising one labeled event per label that was not there yet. */
async function addLabels(ctx: RouteContext, repo: Repo, issue: Issue, names: string[]) {
  const { core } = ctx;
  for (const name of names) {
    const label = core.store.label(repo, name);
    if (issue.labels.some((l) => l.toLowerCase() === name.toLowerCase())) continue;
    issue.labels.push(label.name);
    issue.updatedAt = timestamp();
    await core.issueEvent(repo, issue, "labeled", core.app.bot, { label });
  }
}

async function removeLabel(ctx: RouteContext, repo: Repo, issue: Issue, name: string) {
  const { core } = ctx;
  const index = issue.labels.findIndex((l) => l.toLowerCase() === name.toLowerCase());
  const label = repo.labels.get(name.toLowerCase());
  if (index < 0 || !label) throw new HttpError(404, "Label does not exist");
  issue.labels.splice(index, 1);
  issue.updatedAt = timestamp();
  await core.issueEvent(repo, issue, "unlabeled", core.app.bot, { label });
}

export const issueRoutes: Routes = {
  "GET /repos/{owner}/{repo}/issues": {
    auth: "installation",
    handle: ({ core, token, params, query, url }) => {
      const repo = core.repoFor(token, params, ["issues"], "read");
      const state = query.get("state") ?? "open";
      const wanted = (query.get("labels") ?? "")
        .split(",")
        .map((l) => l.trim().toLowerCase())
        .filter(Boolean);
      const creator = query.get("creator")?.toLowerCase();
      const asc = query.get("direction") === "asc";
      const issues = core.store
        .issuesOf(repo.fullName)
        .filter((i) => state === "all" || i.state === state)
        .filter((i) => wanted.every((w) => i.labels.some((l) => l.toLowerCase() === w)))
        .filter((i) => !creator || i.user.login.toLowerCase() === creator)
        .sort((a, b) => (asc ? a.number - b.number : b.number - a.number));
      return paginate(
        issues.map((i) => core.render.issue(repo, i, { rest: true })),
        query,
        url,
      );
    },
  },

  "POST /repos/{owner}/{repo}/issues": {
    auth: "installation",
    handle: async (ctx) => {
      const { core, token, params, body } = ctx;
      const repo = core.repoFor(token, params, ["issues"], "write");
      const issue = core.store.openIssue({
        repo: repo.fullName,
        number: ++repo.lastNumber,
        title: String(body.title),
        body: typeof body.body === "string" ? body.body : null,
        user: core.app.bot,
        isPull: false,
      });
      for (const item of (body.labels ?? []) as Array<string | { name?: string }>) {
        const label = core.store.label(repo, labelName(item));
        issue.labels.push(label.name);
      }
      await core.issueEvent(repo, issue, "opened", core.app.bot);
      return { status: 201, body: core.render.issue(repo, issue, { rest: true }) };
    },
  },

  "GET /repos/{owner}/{repo}/issues/{issue_number}": {
    auth: "installation",
    handle: ({ core, token, params }) => {
      const { repo, issue } = issueFor(core, token, params, "read");
      return { status: 200, body: core.render.issue(repo, issue, { rest: true }) };
    },
  },

  "PATCH /repos/{owner}/{repo}/issues/{issue_number}": {
    auth: "installation",
    handle: async (ctx) => {
      const { core, token, params, body } = ctx;
      const { repo, issue } = issueFor(core, token, params, "write");
      const bot = core.app.bot;
      const changes: Record<string, { from: string }> = {};
      if (body.title !== undefined && body.title !== null && String(body.title) !== issue.title) {
        changes.title = { from: issue.title };
        issue.title = String(body.title);
      }
      if (body.body !== undefined && body.body !== issue.body) {
        changes.body = { from: issue.body ?? "" };
        issue.body = body.body;
      }
      if (Object.keys(changes).length > 0) {
        issue.updatedAt = timestamp();
        await core.issueEvent(repo, issue, "edited", bot, { changes });
      }
      if (Array.isArray(body.labels)) {
        const next = (body.labels as Array<string | { name?: string }>).map(labelName);
        for (const name of [...issue.labels]) {
          if (!next.some((n) => n.toLowerCase() === name.toLowerCase())) {
            await removeLabel(ctx, repo, issue, name);
          }
        }
        await addLabels(ctx, repo, issue, next);
      }
      if (body.state && body.state !== issue.state) {
        const now = timestamp();
        issue.state = body.state;
        issue.updatedAt = now;
        if (body.state === "closed") {
          issue.closedAt = now;
          issue.closedBy = bot;
          issue.stateReason = body.state_reason ?? "completed";
          await core.issueEvent(repo, issue, "closed", bot);
        } else {
          issue.closedAt = null;
          issue.closedBy = null;
          issue.stateReason = "reopened";
          await core.issueEvent(repo, issue, "reopened", bot);
        }
      }
      return { status: 200, body: core.render.issue(repo, issue, { rest: true }) };
    },
  },

  "GET /repos/{owner}/{repo}/issues/{issue_number}/comments": {
    auth: "installation",
    handle: ({ core, token, params, query, url }) => {
      const { repo, issue } = issueFor(core, token, params, "read");
      const since = query.get("since");
      const comments = issue.comments.filter((c) => !since || c.updatedAt >= since);
      return paginate(
        comments.map((c) => core.render.comment(repo, c)),
        query,
        url,
      );
    },
  },

  "POST /repos/{owner}/{repo}/issues/{issue_number}/comments": {
    auth: "installation",
    handle: ({ core, token, params, body }) => {
      const { repo, issue } = issueFor(core, token, params, "write");
      if (issue.locked)
        throw new HttpError(403, "Unable to create comment because issue is locked.");
      const comment = core.store.addComment(issue, core.app.bot, String(body.body), timestamp());
      core.commentEvent(repo, issue, comment, core.app.bot);
      return { status: 201, body: core.render.comment(repo, comment) };
    },
  },

  "GET /repos/{owner}/{repo}/issues/{issue_number}/labels": {
    auth: "installation",
    handle: ({ core, token, params, query, url }) => {
      const { repo, issue } = issueFor(core, token, params, "read");
      return paginate(core.render.labels(repo, issue.labels), query, url);
    },
  },

  "POST /repos/{owner}/{repo}/issues/{issue_number}/labels": {
    auth: "installation",
    handle: async (ctx) => {
      const { core, token, params, body } = ctx;
      const { repo, issue } = issueFor(core, token, params, "write");
      const items = (body?.labels ?? []) as Array<string | { name?: string }>;
      const names = items.map(labelName);
      if (names.some((n) => n.trim() === "")) {
        throw validationFailed([{ resource: "Label", field: "name", code: "invalid" }]);
      }
      await addLabels(ctx, repo, issue, names);
      return { status: 200, body: core.render.labels(repo, issue.labels) };
    },
  },

  "DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}": {
    auth: "installation",
    handle: async (ctx) => {
      const { core, token, params } = ctx;
      const { repo, issue } = issueFor(core, token, params, "write");
      await removeLabel(ctx, repo, issue, params.name ?? "");
      return { status: 200, body: core.render.labels(repo, issue.labels) };
    },
  },

  /** A second identical reaction by the same user answers 200 with the first one. */
  "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions": {
    auth: "installation",
    handle: ({ core, token, params, body }) => {
      const repo = core.repoFor(token, params, ["issues", "pull_requests"], "write");
      const found = core.store.comment(repo.fullName, Number(params.comment_id));
      if (!found) throw notFound();
      const user = core.app.bot;
      const content = body.content as Reaction["content"];
      const existing = found.comment.reactions.find(
        (r) => r.user.id === user.id && r.content === content,
      );
      if (existing) return { status: 200, body: core.render.reaction(existing) };
      const reaction: Reaction = {
        id: core.store.nextId("reaction"),
        content,
        user,
        createdAt: timestamp(),
      };
      found.comment.reactions.push(reaction);
      return { status: 201, body: core.render.reaction(reaction) };
    },
  },
};
