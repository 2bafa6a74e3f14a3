import { diffFiles, listBranches } from "../git.js";
import { HttpError, notFound, paginate, validationFailed } from "../http.js";
import type { Pull } from "../types.js";
import type { Routes } from "./route.js";

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
      };
      core.store.addPull(pull);
      await core.pullEvent(repo, pull, "opened", core.app.bot);
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
      const repo = core.repoFor(token, params, ["pull_requests"], "read");
      const pull = core.store.pull(repo.fullName, Number(params.pull_number));
      if (!pull) throw notFound();
      await core.refreshPulls(repo, [pull]);
      const stats = await core.pullStats(repo, pull);
      return { status: 200, body: core.render.pull(repo, pull, { stats }) };
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
