import type { Core } from "./core.js";
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
    if (branch === repo.defaultBranch) {
      if (opts.mergedPull) core.ci.startPostMerge(repo, opts.mergedPull, after, prior);
      else core.ci.startForPush(repo, branch, after, prior);
    }
  }
}
