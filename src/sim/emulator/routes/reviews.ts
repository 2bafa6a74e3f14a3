import type { Core } from "../core.js";
import { notFound, paginate, validationFailed } from "../http.js";
import { requestReviewers } from "../reviews.js";
import type { Pull } from "../types.js";
import type { Routes } from "./route.js";

function pullOf(core: Core, slug: string, number: string): Pull {
  const pull = core.store.pull(slug, Number(number));
  if (!pull) throw notFound();
  return pull;
}

export const reviewRoutes: Routes = {
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews": {
    auth: "installation",
    handle: ({ core, token, params, query, url }) => {
      const repo = core.repoFor(token, params, ["pull_requests"], "read");
      const pull = pullOf(core, repo.fullName, params.pull_number ?? "");
      return paginate(
        pull.reviews.map((r) => core.render.review(repo, pull, r)),
        query,
        url,
      );
    },
  },

  /** Review comments (on lines of the diff), not the conversation's issue comments. */
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/comments": {
    auth: "installation",
    handle: ({ core, token, params, query, url }) => {
      const repo = core.repoFor(token, params, ["pull_requests"], "read");
      const pull = pullOf(core, repo.fullName, params.pull_number ?? "");
      const asc = query.get("direction") !== "desc";
      const comments = [...pull.reviewComments].sort((a, b) => (asc ? a.id - b.id : b.id - a.id));
      return paginate(
        comments.map((c) => core.render.reviewComment(repo, pull, c)),
        query,
        url,
      );
    },
  },

  /** The comments of one review: what the fleet quotes when a review requests changes. */
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/comments": {
    auth: "installation",
    handle: ({ core, token, params, query, url }) => {
      const repo = core.repoFor(token, params, ["pull_requests"], "read");
      const pull = pullOf(core, repo.fullName, params.pull_number ?? "");
      const reviewId = Number(params.review_id);
      if (!pull.reviews.some((r) => r.id === reviewId)) throw notFound();
      return paginate(
        pull.reviewComments
          .filter((c) => c.reviewId === reviewId)
          .map((c) => core.render.legacyReviewComment(repo, pull, c)),
        query,
        url,
      );
    },
  },

  "GET /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers": {
    auth: "installation",
    handle: ({ core, token, params }) => {
      const repo = core.repoFor(token, params, ["pull_requests"], "read");
      const pull = pullOf(core, repo.fullName, params.pull_number ?? "");
      return {
        status: 200,
        body: { users: pull.requestedReviewers.map((u) => core.render.user(u)), teams: [] },
      };
    },
  },

  "POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers": {
    auth: "installation",
    handle: async ({ core, token, params, body }) => {
      const repo = core.repoFor(token, params, ["pull_requests"], "write");
      const pull = pullOf(core, repo.fullName, params.pull_number ?? "");
      const teams = (body?.team_reviewers ?? []) as string[];
      if (teams.length > 0) {
        throw validationFailed(
          [],
          `Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${repo.fullName} repository.`,
        );
      }
      await requestReviewers(core, repo, pull, (body?.reviewers ?? []) as string[], core.app.bot);
      return { status: 201, body: core.render.pull(repo, pull) };
    },
  },
};
