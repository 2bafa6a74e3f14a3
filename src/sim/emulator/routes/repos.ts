import { readPath, resolveCommit } from "../git.js";
import { HttpError, notFound, paginate, validationFailed } from "../http.js";
import type { RepoRole } from "../types.js";
import type { Routes } from "./route.js";

export const repoRoutes: Routes = {
  "GET /repos/{owner}/{repo}": {
    auth: "installation",
    handle: ({ core, token, params }) => {
      const repo = core.repoFor(token, params, ["metadata"], "read");
      return {
        status: 200,
        body: core.render.repo(repo, { rest: true, openIssues: core.openIssueCount(repo) }),
      };
    },
  },

  /**
   * Reads the default branch (or `?ref=`) of the bare repo. The raw media type answers the
   * file's bytes as text; @probot/octokit-plugin-config asks for it and treats a JSON answer as
   * a directory.
   */
  "GET /repos/{owner}/{repo}/contents/{path}": {
    auth: "installation",
    handle: async ({ core, token, params, query, headers }) => {
      const repo = core.repoFor(token, params, ["contents"], "read");
      const ref = query.get("ref") || repo.defaultBranch;
      const commit = await resolveCommit(repo.gitDir, ref);
      if (!commit) throw new HttpError(404, `No commit found for the ref ${ref}`);
      const path = (params.path ?? "").replace(/^\/+|\/+$/g, "");
      const entry = await readPath(repo.gitDir, commit, path);
      if (!entry) throw notFound();
      if (entry.kind === "dir") {
        return { status: 200, body: core.render.contentDirectory(repo, ref, path, entry) };
      }
      if (/application\/vnd\.github(\.v3)?\.raw/.test(String(headers.accept ?? ""))) {
        return {
          status: 200,
          raw: { text: entry.content, contentType: "text/plain; charset=utf-8" },
          headers: { etag: `"${entry.sha}"` },
        };
      }
      return { status: 200, body: core.render.contentFile(repo, ref, path, entry) };
    },
  },

  /**
   * The owner of a user-owned repo is admin; listed collaborators have their role; anyone else
   * is "none" (the repos are private, so nobody reads by default).
   */
  "GET /repos/{owner}/{repo}/collaborators/{username}/permission": {
    auth: "installation",
    handle: ({ core, token, params }) => {
      const repo = core.repoFor(token, params, ["metadata"], "read");
      const login = params.username ?? "";
      const user = core.store.user(login);
      const isOwner =
        repo.owner.type === "User" && repo.owner.login.toLowerCase() === login.toLowerCase();
      const role: RepoRole | "none" = isOwner
        ? "admin"
        : (repo.collaborators.get(login.toLowerCase()) ?? "none");
      return { status: 200, body: core.render.collaboratorPermission(user, role) };
    },
  },

  "GET /repos/{owner}/{repo}/labels": {
    auth: "installation",
    handle: ({ core, token, params, query, url }) => {
      const repo = core.repoFor(token, params, ["issues", "pull_requests"], "read");
      const labels = [...repo.labels.values()].map((l) => core.render.label(repo, l));
      return paginate(labels, query, url);
    },
  },

  "GET /repos/{owner}/{repo}/labels/{name}": {
    auth: "installation",
    handle: ({ core, token, params }) => {
      const repo = core.repoFor(token, params, ["issues", "pull_requests"], "read");
      const label = repo.labels.get((params.name ?? "").toLowerCase());
      if (!label) throw notFound();
      return { status: 200, body: core.render.label(repo, label) };
    },
  },

  "POST /repos/{owner}/{repo}/labels": {
    auth: "installation",
    handle: ({ core, token, params, body }) => {
      const repo = core.repoFor(token, params, ["issues", "pull_requests"], "write");
      const name = String(body.name);
      if (repo.labels.has(name.toLowerCase())) {
        throw validationFailed([{ resource: "Label", code: "already_exists", field: "name" }]);
      }
      const label = core.store.label(repo, name);
      if (typeof body.color === "string") label.color = body.color.replace(/^#/, "");
      if (typeof body.description === "string") label.description = body.description;
      return { status: 201, body: core.render.label(repo, label) };
    },
  },
};
