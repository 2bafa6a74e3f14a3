import type { Core } from "./core.js";
import { pushedCommits } from "./git.js";
import type { RefUpdate } from "./push-hook.js";
import { timestamp } from "./store.js";
import type { Pull, Repo, User } from "./types.js";

const ZERO = /^0+$/;

/**
 * What GitHub does when branches move: an open pull whose head branch moved gets its new head,
 * a pull_request.synchronize and CI on the new head; the default branch gets CI on its new tip
 * (after a merge, per the merged pull's rule). Webhooks are queued here, never awaited, so a
 * `git push` waiting on its hook is not held up by the app.
 */
export async function recordPush(
  core: Core,
  repo: Repo,
  updates: RefUpdate[],
  opts: { sender?: User; mergedPull?: Pull },
): Promise<void> {
  const sender = opts.sender ?? core.app.bot;
  for (const { before, after, ref } of updates) {
    if (!ref.startsWith("refs/heads/") || ZERO.test(after) || before === after) continue;
    const branch = ref.slice("refs/heads/".length);
    const prior = ZERO.test(before) ? null : before;
    const moved = core.store
      .pullsOf(repo.fullName)
      .filter((p) => p.issue.state === "open" && p.head.ref === branch);
    for (const pull of moved) {
      pull.head.sha = after;
      pull.issue.updatedAt = timestamp();
      await core.pullEvent(repo, pull, "synchronize", sender, { before, after });
      core.ci.startForPull(repo, pull, prior);
    }
    await sendPushEvent(core, repo, { before, after, ref, prior }, sender);
    if (branch === repo.defaultBranch) {
      if (opts.mergedPull) core.ci.startPostMerge(repo, opts.mergedPull, after, prior);
      else core.ci.startForPush(repo, branch, after, prior);
    }
  }
}

/** The `push` webhook, with each commit's added, removed and modified paths. */
async function sendPushEvent(
  core: Core,
  repo: Repo,
  update: { before: string; after: string; ref: string; prior: string | null },
  sender: User,
): Promise<void> {
  const commits = (await pushedCommits(repo.gitDir, update.prior, update.after)).map((c) => {
    const url = `${core.base}/${repo.fullName}/commit/${c.sha}`;
    const person = { name: c.author.name, email: c.author.email, date: c.author.date };
    return {
      id: c.sha,
      tree_id: c.tree,
      distinct: true,
      message: c.message,
      timestamp: c.author.date,
      url,
      author: person,
      committer: person,
      added: c.added,
      removed: c.removed,
      modified: c.modified,
    };
  });
  const envelope = core.envelope(repo, sender);
  core.hooks.send("push", {
    ref: update.ref,
    before: update.before,
    after: update.after,
    created: update.prior === null,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: `${core.base}/${repo.fullName}/compare/${update.before.slice(0, 12)}...${update.after.slice(0, 12)}`,
    commits,
    head_commit: commits.at(-1) ?? null,
    pusher: { name: sender.login, email: null },
    ...envelope,
    repository: {
      ...envelope.repository,
      created_at: Math.floor(Date.parse(repo.createdAt) / 1000),
      pushed_at: Math.floor(Date.now() / 1000),
      stargazers: 0,
      master_branch: repo.defaultBranch,
    },
  });
}
