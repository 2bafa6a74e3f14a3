import type { Core, Queued } from "./core.js";
import { HttpError, validationFailed } from "./http.js";
import { timestamp } from "./store.js";
import type { Pull, Repo, Review, ReviewState, User } from "./types.js";

/** Reviews and review requests: the human side of a pull. */

export interface ReviewSpec {
  user: User;
  state: ReviewState;
  body: string;
  /** Line comments that come with the review; `line` null comments on the whole file. */
  comments?: Array<{ path: string; line?: number | null; body: string }>;
}

/** Records a review on the pull's current head and sends pull_request_review.submitted. */
export async function addReview(
  core: Core,
  repo: Repo,
  pull: Pull,
  spec: ReviewSpec,
): Promise<{ review: Review } & Queued> {
  await core.refreshPulls(repo, [pull]);
  const now = timestamp();
  const review: Review = {
    id: core.store.nextId("review"),
    pullNumber: pull.number,
    user: spec.user,
    body: spec.body,
    state: spec.state,
    commitId: pull.head.sha,
    submittedAt: now,
  };
  pull.reviews.push(review);
  for (const c of spec.comments ?? []) {
    pull.reviewComments.push({
      id: core.store.nextId("comment"),
      reviewId: review.id,
      pullNumber: pull.number,
      user: spec.user,
      path: c.path,
      line: c.line ?? null,
      body: c.body,
      commitId: pull.head.sha,
      createdAt: now,
    });
  }
  // A submitted review answers the request, as on GitHub.
  pull.requestedReviewers = pull.requestedReviewers.filter((u) => u.id !== spec.user.id);
  pull.issue.updatedAt = now;
  const delivered = core.hooks.send("pull_request_review", {
    action: "submitted",
    review: core.render.review(repo, pull, review, { webhook: true }),
    pull_request: core.render.pull(repo, pull, { webhook: true }),
    ...core.envelope(repo, spec.user),
  });
  return { review, delivered };
}

function isCollaborator(repo: Repo, login: string): boolean {
  const owner =
    repo.owner.type === "User" && repo.owner.login.toLowerCase() === login.toLowerCase();
  return owner || repo.collaborators.has(login.toLowerCase());
}

/**
 * Asks users to review: GitHub refuses the author and non-collaborators (422) and sends one
 * pull_request.review_requested per newly requested user.
 */
export async function requestReviewers(
  core: Core,
  repo: Repo,
  pull: Pull,
  logins: string[],
  sender: User,
): Promise<Queued[]> {
  if (pull.issue.state !== "open") throw new HttpError(422, "Pull request is closed.");
  if (logins.some((l) => l.toLowerCase() === pull.issue.user.login.toLowerCase())) {
    throw validationFailed([], "Review cannot be requested from pull request author.");
  }
  if (!logins.every((l) => isCollaborator(repo, l))) {
    throw validationFailed(
      [],
      `Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${repo.fullName} repository.`,
    );
  }
  const queued: Queued[] = [];
  for (const login of logins) {
    const user = core.store.user(login);
    if (pull.requestedReviewers.some((u) => u.id === user.id)) continue;
    pull.requestedReviewers.push(user);
    pull.issue.updatedAt = timestamp();
    queued.push(
      await core.pullEvent(repo, pull, "review_requested", sender, {
        requested_reviewer: core.render.user(user),
      }),
    );
  }
  return queued;
}
