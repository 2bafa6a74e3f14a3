import { addStatus, combinedState, latestPerContext } from "../commit-statuses.js";
import { resolveCommit } from "../git.js";
import { HttpError, paginate } from "../http.js";
import type { Routes } from "./route.js";

const noCommit = (ref: string | undefined) => new HttpError(422, `No commit found for SHA: ${ref}`);

export const statusRoutes: Routes = {
  "POST /repos/{owner}/{repo}/statuses/{sha}": {
    auth: "installation",
    handle: async ({ core, token, params, body }) => {
      const repo = core.repoFor(token, params, ["statuses"], "write");
      const sha = await resolveCommit(repo.gitDir, params.sha ?? "");
      if (!sha || sha !== params.sha) throw noCommit(params.sha);
      const { status, queued } = addStatus(core, repo, {
        sha,
        state: body.state,
        context: body.context,
        description: body.description,
        targetUrl: body.target_url,
        creator: core.app.bot,
      });
      await queued;
      return { status: 201, body: core.render.statusWithCreator(repo, status) };
    },
  },

  "GET /repos/{owner}/{repo}/commits/{ref}/status": {
    auth: "installation",
    handle: async ({ core, token, params }) => {
      const repo = core.repoFor(token, params, ["statuses"], "read");
      const sha = await resolveCommit(repo.gitDir, params.ref ?? "");
      if (!sha) throw noCommit(params.ref);
      const latest = latestPerContext(core.store.statusesOf(repo.fullName, sha));
      return {
        status: 200,
        body: core.render.combinedStatus(repo, sha, combinedState(latest), latest),
      };
    },
  },

  "GET /repos/{owner}/{repo}/commits/{ref}/statuses": {
    auth: "installation",
    handle: async ({ core, token, params, query, url }) => {
      const repo = core.repoFor(token, params, ["statuses"], "read");
      const sha = await resolveCommit(repo.gitDir, params.ref ?? "");
      if (!sha) throw noCommit(params.ref);
      const statuses = core.store
        .statusesOf(repo.fullName, sha)
        .sort((a, b) => b.id - a.id)
        .map((s) => core.render.statusWithCreator(repo, s));
      return paginate(statuses, query, url);
    },
  },
};
