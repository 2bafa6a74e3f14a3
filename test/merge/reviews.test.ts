import { describe, expect, it } from "vitest";
import type { PullReview, ReviewState } from "../../src/github/pull-github.js";
import { reviewersOnHead, reviewStanding } from "../../src/merge/reviews.js";

let id = 0;
function review(user: string, state: ReviewState, commitId: string, minute: number): PullReview {
  id += 1;
  const submittedAt = new Date(Date.UTC(2030, 0, 1, 0, minute)).toISOString();
  return { id, user, state, commitId, body: "", submittedAt };
}

const writers = new Set(["alice", "bob"]);
const isWriter = (login: string) => writers.has(login);

describe("review standing on the current head", () => {
  it.each([
    ["an approval on the head", [review("alice", "APPROVED", "h2", 1)], ["alice"], [], []],
    ["an approval on an older head", [review("alice", "APPROVED", "h1", 1)], [], [], ["alice"]],
    ["a non-writer's approval", [review("eve", "APPROVED", "h2", 1)], [], [], []],
    [
      "a later comment leaves the approval standing",
      [review("alice", "APPROVED", "h2", 1), review("alice", "COMMENTED", "h2", 2)],
      ["alice"],
      [],
      [],
    ],
    [
      "a later changes_requested replaces the approval",
      [review("alice", "APPROVED", "h2", 1), review("alice", "CHANGES_REQUESTED", "h2", 2)],
      [],
      ["alice"],
      [],
    ],
    [
      "a later approval replaces changes_requested",
      [review("bob", "CHANGES_REQUESTED", "h2", 1), review("bob", "APPROVED", "h2", 2)],
      ["bob"],
      [],
      [],
    ],
    [
      "a dismissed review counts for nothing",
      [review("alice", "APPROVED", "h2", 1), review("alice", "DISMISSED", "h2", 2)],
      [],
      [],
      [],
    ],
    [
      "changes requested on an older head do not hold the new one",
      [review("alice", "CHANGES_REQUESTED", "h1", 1)],
      [],
      [],
      [],
    ],
  ] as const)("%s", (_name, reviews, approvedBy, changesBy, stale) => {
    const standing = reviewStanding(reviews, "h2", isWriter);
    expect(standing.approvedBy).toEqual(approvedBy);
    expect(standing.changesRequested.map((r) => r.user)).toEqual(changesBy);
    expect(standing.staleApprovals).toEqual(stale);
  });

  it("orders by submission time, not by list order", () => {
    const reviews = [
      review("alice", "CHANGES_REQUESTED", "h2", 5),
      review("alice", "APPROVED", "h2", 1),
    ];
    expect(reviewStanding(reviews, "h2", isWriter).approvedBy).toEqual([]);
  });

  it("lists whose permission to look up: standing reviews on the head only", () => {
    const reviews = [
      review("alice", "APPROVED", "h2", 1),
      review("carol", "COMMENTED", "h2", 2),
      review("dave", "APPROVED", "h1", 3),
      review("alice", "APPROVED", "h2", 4),
    ];
    expect(reviewersOnHead(reviews, "h2")).toEqual(["alice"]);
  });
});
