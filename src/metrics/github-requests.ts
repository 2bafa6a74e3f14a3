import type { ProbotOctokit } from "probot";
import { githubRequests } from "./registry.js";

/** Octokit's plugin type, taken from the class the app uses. */
type OctokitPlugin = Parameters<typeof ProbotOctokit.plugin>[0];

/**
 * Octokit plugin: counts each API call by method, endpoint template and final status (after the
 * retry and throttling plugins, which it wraps). An error without a status counts as "error".
 */
export const countGitHubRequests: OctokitPlugin = (octokit) => {
  octokit.hook.wrap("request", async (request, options) => {
    const route = `${options.method.toUpperCase()} ${routeTemplate(options.url)}`;
    try {
      const response = await request(options);
      githubRequests.inc({ route, status: String(response.status) });
      return response;
    } catch (error) {
      const status = (error as { status?: unknown } | null)?.status;
      githubRequests.inc({ route, status: typeof status === "number" ? String(status) : "error" });
      throw error;
    }
  });
};

/**
 * The endpoint template of a request URL. Calls by template keep it as it is; a concrete URL
 * (a next page from a Link header) gets its owner and repo, ids, numbers and commit SHAs
 * replaced, so no label carries a concrete repository, number or query.
 */
export function routeTemplate(url: string): string {
  // An absolute URL loses its origin and GitHub Enterprise Server's /api/v3 prefix.
  const path = url.replace(/^[a-z]+:\/\/[^/]+(\/api\/v3(?=\/))?/i, "").split(/[?#]/)[0] || "/";
  if (path.includes("{")) return path;
  const segments = path.split("/");
  const repos = segments.indexOf("repos");
  const repositories = segments.indexOf("repositories");
  return segments
    .map((segment, i) => {
      if (repos >= 0 && i === repos + 1) return "{owner}";
      if (repos >= 0 && i === repos + 2) return "{repo}";
      if (repositories >= 0 && i === repositories + 1) return "{repository_id}";
      if (/^\d+$/.test(segment)) return "{number}";
      if (/^[0-9a-f]{40}$/i.test(segment)) return "{sha}";
      return segment;
    })
    .join("/");
}
