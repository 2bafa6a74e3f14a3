import type { Core } from "../core.js";
import { diffFiles, listBranches } from "../git.js";
import { HttpError, notFound, paginate, validationFailed } from "../http.js";
import { mergePull } from "../merge.js";
import { timestamp } from "../store.js";
import type { InstallationToken, Pull, Repo } from "../types.js";
import type { Routes } from "./route.js";

function pullFor(
  core: Core,
  token: InstallationToken | undefined,
  params: Record<string, string>,
  scope: string,
  level: "read" | "write",
): { repo: Repo; pull: Pull } {
  const repo = core.repoFor(token, params, [scope], level);
  const pull = core.store.pull(repo.fullName, Number(params.pull_number));
  if (!pull) throw notFound();
  return { repo, pull };
}

/** The single-pull answer: counters from git and mergeability from a real merge-tree. */
async function fullPull(core: Core, repo: Repo, pull: Pull) {
  await core.refreshPulls(repo, [pull]);
  const stats = await core.pullStats(repo, pull);
  const mergeability = await core.mergeability(repo, pull);
  return core.render.pull(repo, pull, { stats, mergeability });
}

const custom = (message: string) =>
  validationFailed([{ resource: "PullRequest", code: "custom", message }]);

export const pullRoutes: Routes = {
  /** The head branch must already be in the bare repo (pushed with git), as on GitHub. */
  "POST /repos/{owner}/{repo}/pulls": {
    auth: "installation",
    handle: async ({ core, token, params, body }) => {
      const repo = core.repoFor(token, params, ["pull_requests"], "write");
      if (body.issue !== undefined) {
        throw new HttpError(
          501,
          "Not Implemented: the GitHub emulator cannot turn an issue into a pull",
        );
      }
      if (typeof body.title !== "string" || body.title === "") {
        throw validationFailed([
          { resource: "PullRequest", code: "missing_field", field: "title" },
        ]);
      }
      const [headOwner, headRef] = String(body.head).includes(":")
        ? String(body.head).split(":", 2)
        : [repo.owner.login, String(body.head)];
      const branches = await listBranches(repo.gitDir);
      const headSha = branches.get(headRef ?? "");
      const baseSha = branches.get(String(body.base));
      const invalid = (field: string) =>
        validationFailed([{ resource: "PullRequest", field, code: "invalid" }]);
      if (headOwner?.toLowerCase() !== repo.owner.login.toLowerCase() || !headSha || !headRef) {
        throw invalid("head");
      }
      if (!baseSha) throw invalid("base");
      const head = { ref: headRef, sha: headSha };
      const base = { ref: String(body.base), sha: baseSha };
      const stats = await core.pullStats(repo, { head, base });
      if (stats.commits === 0) throw custom(`No commits between ${base.ref} and ${headRef}`);
      // Checked after the last await so two racing requests cannot both open a pull.
      const existing = core.store
        .pullsOf(repo.fullName)
        .find((p) => p.issue.state === "open" && p.head.ref === headRef && p.base.ref === base.ref);
      if (existing)
        throw custom(`A pull request already exists for ${repo.owner.login}:${headRef}.`);
      const issue = core.store.openIssue({
        repo: repo.fullName,
        number: ++repo.lastNumber,
        title: body.title,
        body: typeof body.body === "string" ? body.body : null,
        user: core.app.bot,
        isPull: true,
      });
      const pull: Pull = {
        id: core.store.nextId("pull"),
        repo: repo.fullName,
        number: issue.number,
        issue,
        head,
        base,
        draft: body.draft === true,
        maintainerCanModify: body.maintainer_can_modify !== false,
        merged: false,
        mergedAt: null,
        mergeCommitSha: null,
        mergedBy: null,
        requestedReviewers: [],
        reviews: [],
        reviewComments: [],
      };
      core.store.addPull(pull);
      await core.pullEvent(repo, pull, "opened", core.app.bot);
      core.ci.startForPull(repo, pull);
      return { status: 201, body: core.render.pull(repo, pull, { stats }) };
    },
  },

  "GET /repos/{owner}/{repo}/pulls": {
    auth: "installation",
    handle: async ({ core, token, params, query, url }) => {
      const repo = core.repoFor(token, params, ["pull_requests"], "read");
      const state = query.get("state") ?? "open";
      const head = query.get("head");
      const base = query.get("base");
      const asc = query.get("direction") === "asc";
      const pulls = core.store
        .pullsOf(repo.fullName)
        .filter((p) => state === "all" || p.issue.state === state)
        .filter(
          (p) => !head || `${repo.owner.login}:${p.head.ref}`.toLowerCase() === head.toLowerCase(),
        )
        .filter((p) => !base || p.base.ref === base)
        .sort((a, b) => (asc ? a.number - b.number : b.number - a.number));
      await core.refreshPulls(repo, pulls);
      return paginate(
        pulls.map((p) => core.render.pull(repo, p)),
        query,
        url,
      );
    },
  },

  "GET /repos/{owner}/{repo}/pulls/{pull_number}": {
    auth: "installation",
    handle: async ({ core, token, params }) => {
      const { repo, pull } = pullFor(core, token, params, "pull_requests", "read");
      return { status: 200, body: await fullPull(core, repo, pull) };
    },
  },

  /** Title, body and state; closing sends pull_request.closed with merged false. */
  "PATCH /repos/{owner}/{repo}/pulls/{pull_number}": {
    auth: "installation",
    handle: async ({ core, token, params, body }) => {
      const { repo, pull } = pullFor(core, token, params, "pull_requests", "write");
      const { issue } = pull;
      const bot = core.app.bot;
      const changes: Record<string, { from: string }> = {};
      if (typeof body.title === "string" && body.title !== issue.title) {
        changes.title = { from: issue.title };
        issue.title = body.title;
      }
      if (typeof body.body === "string" && body.body !== issue.body) {
        changes.body = { from: issue.body ?? "" };
        issue.body = body.body;
      }
      if (typeof body.maintainer_can_modify === "boolean") {
        pull.maintainerCanModify = body.maintainer_can_modify;
      }
      if (Object.keys(changes).length > 0) {
        issue.updatedAt = timestamp();
        await core.pullEvent(repo, pull, "edited", bot, { changes });
      }
      if (body.state && body.state !== issue.state) {
        if (pull.merged) {
          throw custom(
            "state cannot be changed. The pull request cannot be reopened because it was merged.",
          );
        }
        const now = timestamp();
        issue.updatedAt = now;
        if (body.state === "closed") {
          Object.assign(issue, { state: "closed", closedAt: now, closedBy: bot });
          await core.pullEvent(repo, pull, "closed", bot);
        } else {
          Object.assign(issue, { state: "open", closedAt: null, closedBy: null });
          await core.pullEvent(repo, pull, "reopened", bot);
          core.ci.startForPull(repo, pull);
        }
      }
      return { status: 200, body: await fullPull(core, repo, pull) };
    },
  },

  /**
   * GitHub's merge button: 409 when `sha` is not the head any more, 405 on a conflict or a
   * closed pull. The pull_request.closed webhook is queued, not awaited.
   */
  "PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge": {
    auth: "installation",
    handle: async ({ core, token, params, body }) => {
      const { repo, pull } = pullFor(core, token, params, "contents", "write");
      const { sha } = await mergePull(core, repo, pull, {
        by: core.app.bot,
        method: body?.merge_method ?? "merge",
        sha: body?.sha,
        commitTitle: body?.commit_title,
        commitMessage: body?.commit_message,
      });
      return {
        status: 200,
        body: { sha, merged: true, message: "Pull Request successfully merged" },
      };
    },
  },

  /** 204 when merged, 404 when not, as GitHub answers. */
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/merge": {
    auth: "installation",
    handle: ({ core, token, params }) => {
      const { pull } = pullFor(core, token, params, "pull_requests", "read");
      if (!pull.merged) throw notFound();
      return { status: 204 };
    },
  },

  "GET /repos/{owner}/{repo}/pulls/{pull_number}/files": {
    auth: "installation",
    handle: async ({ core, token, params, query, url }) => {
      const repo = core.repoFor(token, params, ["pull_requests"], "read");
      const pull = core.store.pull(repo.fullName, Number(params.pull_number));
      if (!pull) throw notFound();
      await core.refreshPulls(repo, [pull]);
      const files = await diffFiles(repo.gitDir, pull.base.sha, pull.head.sha);
      return paginate(
        files.map((f) => core.render.diffEntry(repo, pull.head.sha, f)),
        query,
        url,
      );
    },
  },
};
