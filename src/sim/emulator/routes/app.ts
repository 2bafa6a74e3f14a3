import { narrowPermissions, newInstallationToken } from "../auth.js";
import { HttpError, notFound, paginate } from "../http.js";
import { timestamp } from "../store.js";
import type { Permissions, Repo } from "../types.js";
import type { Routes } from "./route.js";

const TOKEN_TTL_MS = 60 * 60 * 1000;

export const appRoutes: Routes = {
  "GET /app": {
    auth: "app",
    handle: ({ core }) => ({
      status: 200,
      body: { ...core.render.app(), installations_count: core.store.installations.size },
    }),
  },

  "GET /app/installations": {
    auth: "app",
    handle: ({ core, query, url }) =>
      paginate(
        [...core.store.installations.values()].map((i) => core.render.installation(i)),
        query,
        url,
      ),
  },

  "GET /app/installations/{installation_id}": {
    auth: "app",
    handle: ({ core, params }) => {
      const inst = core.store.installations.get(Number(params.installation_id));
      if (!inst) throw notFound();
      return { status: 200, body: core.render.installation(inst) };
    },
  },

  "GET /repos/{owner}/{repo}/installation": {
    auth: "app",
    handle: ({ core, params }) => {
      const repo = core.store.repo(`${params.owner}/${params.repo}`);
      const inst = repo && core.store.installations.get(repo.installationId);
      if (!inst) throw notFound();
      return { status: 200, body: core.render.installation(inst) };
    },
  },

  "POST /app/installations/{installation_id}/access_tokens": {
    auth: "app",
    handle: ({ core, params, body }) => {
      const inst = core.store.installations.get(Number(params.installation_id));
      if (!inst) throw notFound();
      const request = (body ?? {}) as {
        repositories?: string[];
        repository_ids?: number[];
        permissions?: Permissions;
      };
      inst.tokenRequests.push(body ?? {});
      const own = [...core.store.repos.values()].filter((r) => r.installationId === inst.id);
      let selected: Repo[] | null = null;
      if (request.repositories || request.repository_ids) {
        const byName = (request.repositories ?? []).map((name) =>
          own.find((r) => r.name.toLowerCase() === name.toLowerCase()),
        );
        const byId = (request.repository_ids ?? []).map((id) => own.find((r) => r.id === id));
        const all = [...byName, ...byId];
        if (all.some((r) => r === undefined)) {
          throw new HttpError(
            422,
            "There is at least one repository that does not exist or is not accessible to the parent installation.",
          );
        }
        selected = [...new Set(all as Repo[])];
      }
      const permissions = narrowPermissions(core.app.permissions, request.permissions);
      const token = newInstallationToken();
      const expiresAt = Date.now() + TOKEN_TTL_MS;
      core.store.tokens.set(token, {
        token,
        installationId: inst.id,
        expiresAt,
        permissions,
        repoIds: selected ? new Set(selected.map((r) => r.id)) : null,
      });
      return {
        status: 201,
        body: {
          token,
          expires_at: timestamp(expiresAt),
          permissions,
          repository_selection: selected ? "selected" : "all",
          ...(selected
            ? {
                repositories: selected.map((r) =>
                  core.render.repo(r, { rest: true, openIssues: core.openIssueCount(r) }),
                ),
              }
            : {}),
        },
      };
    },
  },

  "GET /installation/repositories": {
    auth: "installation",
    handle: ({ core, token, query, url }) => {
      const repos = [...core.store.repos.values()].filter(
        (r) =>
          r.installationId === token?.installationId && (!token.repoIds || token.repoIds.has(r.id)),
      );
      const page = paginate(repos, query, url);
      return {
        ...page,
        body: {
          total_count: repos.length,
          repository_selection: token?.repoIds ? "selected" : "all",
          repositories: (page.body as Repo[]).map((r) =>
            core.render.repo(r, { rest: true, openIssues: core.openIssueCount(r) }),
          ),
        },
      };
    },
  },
};
