import type { Core, Queued } from "./core.js";
import { commitInfo, listBranches } from "./git.js";
import { timestamp } from "./store.js";
import type { CommitStatus, Repo, StatusState, User } from "./types.js";

/** Commit statuses (the older API next to checks): stored as posted, combined per GitHub's rules. */

export function addStatus(
  core: Core,
  repo: Repo,
  spec: {
    sha: string;
    state: StatusState;
    context?: string | undefined;
    description?: string | null | undefined;
    targetUrl?: string | null | undefined;
    creator: User;
  },
): { status: CommitStatus; queued: Promise<Queued> } {
  const status: CommitStatus = {
    id: core.store.nextId("status"),
    repo: repo.fullName,
    sha: spec.sha,
    context: spec.context ?? "default",
    state: spec.state,
    description: spec.description ?? null,
    targetUrl: spec.targetUrl ?? null,
    creator: spec.creator,
    createdAt: timestamp(),
  };
  core.store.statuses.push(status);
  return { status, queued: statusEvent(core, repo, status) };
}

/** The newest status of each context, newest first. */
export function latestPerContext(statuses: CommitStatus[]): CommitStatus[] {
  const newestFirst = [...statuses].sort((a, b) => b.id - a.id);
  return newestFirst.filter((s, i) => newestFirst.findIndex((o) => o.context === s.context) === i);
}

/**
 * failure when any context's latest status is error or failure; pending when there is none or
 * one is pending; success when every context's latest status is success.
 */
export function combinedState(latest: CommitStatus[]): "failure" | "pending" | "success" {
  if (latest.some((s) => s.state === "error" || s.state === "failure")) return "failure";
  if (latest.length === 0 || latest.some((s) => s.state === "pending")) return "pending";
  return "success";
}

/** A commit's author is a GitHub user when the email is that user's noreply address. */
function userByEmail(core: Core, email: string): User | null {
  const match = /^\d+\+([^@]+)@users\.noreply\.github\.com$/.exec(email);
  return match?.[1] ? (core.store.users.get(match[1].toLowerCase()) ?? null) : null;
}

async function statusEvent(core: Core, repo: Repo, status: CommitStatus): Promise<Queued> {
  const commit = await commitInfo(repo.gitDir, status.sha);
  const branches = [...(await listBranches(repo.gitDir)).entries()]
    .filter(([, sha]) => sha === status.sha)
    .slice(0, 10)
    .map(([name, sha]) => ({
      name,
      commit: { sha, url: `${core.render.repoUrl(repo)}/commits/${sha}` },
      protected: false,
    }));
  const rendered = core.render.status(repo, status);
  const delivered = core.hooks.send("status", {
    id: status.id,
    sha: status.sha,
    name: repo.fullName,
    avatar_url: rendered.avatar_url,
    target_url: status.targetUrl,
    context: status.context,
    description: status.description,
    state: status.state,
    commit: core.render.commit(repo, commit, {
      author: userByEmail(core, commit.author.email),
      committer: userByEmail(core, commit.committer.email),
    }),
    branches,
    created_at: status.createdAt,
    updated_at: status.createdAt,
    ...core.envelope(repo, status.creator),
  });
  return { delivered };
}
