import { closingReferences } from "./closing-references.js";
import type { Core } from "./core.js";
import { logCommits } from "./git.js";
import {
  commitTree,
  GITHUB_COMMITTER,
  mergeTree,
  replayCommit,
  type Signature,
  updateRef,
} from "./git-write.js";
import { HttpError } from "./http.js";
import { timestamp } from "./store.js";
import type { Delivery, Pull, Repo, User } from "./types.js";

export type MergeMethod = "merge" | "squash" | "rebase";

export interface MergeRequest {
  by: User;
  method: MergeMethod;
  /** When given, the pull's head must still be this commit. */
  sha?: string | undefined;
  commitTitle?: string | undefined;
  commitMessage?: string | undefined;
}

export interface MergeOutcome {
  /** The new tip of the base branch. */
  sha: string;
  /** pull_request.closed, then issues.closed for each issue the pull closed. */
  delivered: Promise<Delivery[]>;
}

export const NOT_MERGEABLE = "Pull Request is not mergeable";
export const HEAD_MODIFIED = "Head branch was modified. Review and try the merge again.";
export const BASE_MODIFIED = "Base branch was modified. Review and try the merge again.";

/** The noreply address GitHub uses for commits it makes on a user's behalf. */
export function signatureOf(user: User): Signature {
  return { name: user.login, email: `${user.id}+${user.login}@users.noreply.github.com` };
}

/**
 * Merges a pull the way GitHub's merge button does, with real git in the bare repo: merge-tree
 * computes the result, commit-tree writes the commit(s), and update-ref moves the base branch
 * only if nobody pushed to it meanwhile. Then the pull is closed as merged, issues its body
 * closes are closed, and CI runs on the new tip.
 */
export function mergePull(
  core: Core,
  repo: Repo,
  pull: Pull,
  request: MergeRequest,
): Promise<MergeOutcome> {
  return core.locked(repo, async () => {
    await core.refreshPulls(repo, [pull]);
    if (pull.merged || pull.issue.state !== "open") throw new HttpError(405, NOT_MERGEABLE);
    if (request.sha !== undefined && request.sha !== pull.head.sha) {
      throw new HttpError(409, HEAD_MODIFIED);
    }
    if (pull.draft) throw new HttpError(405, "Pull Request is still a draft");
    const base = pull.base.sha;
    const merged = await mergeTree(repo.gitDir, base, pull.head.sha);
    if (!merged.clean) throw new HttpError(405, NOT_MERGEABLE);
    const sha = await writeMerge(repo, pull, request, base, merged.tree);
    if (!(await updateRef(repo.gitDir, pull.base.ref, sha, base))) {
      throw new HttpError(409, BASE_MODIFIED);
    }

    const now = timestamp();
    Object.assign(pull, { merged: true, mergedAt: now, mergeCommitSha: sha, mergedBy: request.by });
    pull.requestedReviewers = [];
    Object.assign(pull.issue, {
      state: "closed",
      closedAt: now,
      closedBy: request.by,
      updatedAt: now,
    });
    const deliveries = [(await core.pullEvent(repo, pull, "closed", request.by)).delivered];
    if (pull.base.ref === repo.defaultBranch) {
      for (const number of closingReferences(pull.issue.body, repo.fullName)) {
        const issue = core.store.issue(repo.fullName, number);
        if (!issue || issue.isPull || issue.state !== "open") continue;
        Object.assign(issue, {
          state: "closed",
          stateReason: "completed",
          closedAt: now,
          closedBy: request.by,
          updatedAt: now,
        });
        deliveries.push((await core.issueEvent(repo, issue, "closed", request.by)).delivered);
      }
    }
    const update = { before: base, after: sha, ref: `refs/heads/${pull.base.ref}` };
    await core.pushed(repo, [update], { sender: request.by, mergedPull: pull });
    return { sha, delivered: Promise.all(deliveries) };
  });
}

async function writeMerge(
  repo: Repo,
  pull: Pull,
  request: MergeRequest,
  base: string,
  tree: string,
): Promise<string> {
  const { gitDir } = repo;
  const title = pull.issue.title;
  const message = (subject: string, body: string) => (body ? `${subject}\n\n${body}` : subject);
  if (request.method === "merge") {
    const subject =
      request.commitTitle ??
      `Merge pull request #${pull.number} from ${repo.owner.login}/${pull.head.ref}`;
    return commitTree(
      gitDir,
      tree,
      [base, pull.head.sha],
      message(subject, request.commitMessage ?? title),
      { author: signatureOf(request.by), committer: GITHUB_COMMITTER },
    );
  }
  const commits = await logCommits(gitDir, pull.head.sha, { base, reverse: true });
  if (request.method === "squash") {
    const subject = request.commitTitle ?? `${title} (#${pull.number})`;
    const body =
      request.commitMessage ?? commits.map((c) => `* ${c.message.split("\n")[0]}`).join("\n");
    return commitTree(gitDir, tree, [base], message(subject, body), {
      author: signatureOf(pull.issue.user),
      committer: GITHUB_COMMITTER,
    });
  }
  let tip = base;
  for (const commit of commits) {
    const next = await replayCommit(gitDir, commit, tip, GITHUB_COMMITTER);
    if (!next) throw new HttpError(405, NOT_MERGEABLE);
    tip = next;
  }
  return tip;
}
