import type { PullReview } from "../github/pull-github.js";

export interface ReviewStanding {
  /** Writers whose latest review approves the current head. */
  approvedBy: string[];
  /** Writers' latest reviews that request changes on the current head. */
  changesRequested: PullReview[];
  /** Writers whose latest approval is on an older head: it does not count. */
  staleApprovals: string[];
}

/** Reviews that set a reviewer's standing; a plain comment leaves the earlier one in force. */
const STANDING = new Set(["APPROVED", "CHANGES_REQUESTED", "DISMISSED"]);

function byTime(a: PullReview, b: PullReview): number {
  const at = a.submittedAt ?? "";
  const bt = b.submittedAt ?? "";
  return at === bt ? a.id - b.id : at < bt ? -1 : 1;
}

/** Users whose review on `headSha` may count, pending a look at their permission. */
export function reviewersOnHead(reviews: readonly PullReview[], headSha: string): string[] {
  return [
    ...new Set(
      reviews
        .filter((r) => r.commitId === headSha && STANDING.has(r.state) && r.user)
        .map((r) => r.user),
    ),
  ];
}

/**
 * Where the reviews leave the PR: each writer's latest review counts (as on GitHub), and only
 * when it was given on the current head.
 */
export function reviewStanding(
  reviews: readonly PullReview[],
  headSha: string,
  isWriter: (login: string) => boolean,
): ReviewStanding {
  const latest = new Map<string, PullReview>();
  for (const review of [...reviews].sort(byTime)) {
    if (STANDING.has(review.state) && review.user) latest.set(review.user, review);
  }
  const standing: ReviewStanding = { approvedBy: [], changesRequested: [], staleApprovals: [] };
  for (const [user, review] of latest) {
    const onHead = review.commitId === headSha;
    if (review.state === "APPROVED" && !onHead) standing.staleApprovals.push(user);
    if (!onHead || !isWriter(user)) continue;
    if (review.state === "APPROVED") standing.approvedBy.push(user);
    if (review.state === "CHANGES_REQUESTED") standing.changesRequested.push(review);
  }
  return standing;
}
