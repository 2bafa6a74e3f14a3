import { recordEvent } from "../db/queries/index.js";
import type { AttemptContext } from "./attempt-context.js";
import { mayProceed, removeWorktree } from "./attempt-guards.js";
import { flagPull, type OpenPull, openPullOf, pushToPull } from "./pull-settle.js";
import { type AgentPlan, type RepoAccess, type Settled, settled } from "./work-plan.js";

export interface PullTree {
  pull: OpenPull;
  /** The default branch's head, fetched just now. */
  baseSha: string;
  /** The PR branch's head on the remote, where the worktree starts. */
  startSha: string;
}

/** A worktree on the open PR's own branch, as the remote has it. */
export async function checkoutPull(
  ctx: AttemptContext,
  access: RepoAccess,
  dir: string,
): Promise<PullTree> {
  const { task } = ctx;
  const pull = openPullOf(task);
  const { baseSha, startSha } = await ctx.workspaces.createWorktree({
    repoFullName: task.repoFullName,
    cloneUrl: task.cloneUrl,
    token: access.token,
    branch: pull.branch,
    baseBranch: task.defaultBranch,
    dir,
    requireRemoteBranch: true,
  });
  return { pull, baseSha, startSha };
}

/**
 * work=rebase, no agent: the PR branch is rebased onto the default branch and pushed with a
 * lease on the head it was rebased from, so a commit pushed meanwhile is never overwritten. On
 * conflicts the same claim goes on as resolve_conflict.
 */
export async function rebaseOrResolve(
  ctx: AttemptContext,
  access: RepoAccess,
  dir: string,
): Promise<AgentPlan | Settled> {
  const tree = await checkoutPull(ctx, access, dir);
  const { defaultBranch } = ctx.task;
  const rebased = await ctx.workspaces.rebase(dir, tree.baseSha);
  if (!rebased.ok) {
    ctx.log.info({ conflicts: rebased.conflicts }, "rebase hit conflicts; merging for an agent");
    await recordEvent(ctx.db, {
      taskId: ctx.task.id,
      attemptId: ctx.attempt.id,
      kind: "rebase_conflict",
      data: { files: rebased.conflicts, onto: tree.baseSha },
    });
    return mergeOrResolve(ctx, access, dir, tree);
  }
  try {
    if (!(await mayProceed(ctx, dir))) return settled();
    if (!(await ctx.workspaces.hasChangesSince(dir, tree.baseSha))) {
      await flagPull(ctx, {
        reason: `after a rebase onto ${defaultBranch} the branch changes nothing; its work may already be on ${defaultBranch}`,
        outcome: "no_changes",
      });
      return settled();
    }
    const opened = await pushToPull(ctx, {
      dir,
      pull: tree.pull,
      mode: { kind: "lease", expectSha: tree.startSha },
      eventData: { work: "rebase", from: tree.startSha, onto: tree.baseSha },
    });
    return settled(opened);
  } finally {
    await removeWorktree(ctx, dir);
  }
}

/**
 * work=resolve_conflict (or a rebase that conflicted): the default branch is merged into the PR
 * branch. A clean merge is pushed at once; otherwise the merge stays in progress, markers in
 * the files, and an agent is asked to resolve it.
 */
export async function mergeOrResolve(
  ctx: AttemptContext,
  access: RepoAccess,
  dir: string,
  checkedOut?: PullTree,
): Promise<AgentPlan | Settled> {
  const tree = checkedOut ?? (await checkoutPull(ctx, access, dir));
  const { task } = ctx;
  const merged = await ctx.workspaces.mergeLeavingConflicts(
    dir,
    tree.baseSha,
    `Merge branch '${task.defaultBranch}' into ${tree.pull.branch}`,
  );
  if (!merged.ok) {
    return {
      branch: tree.pull.branch,
      baseSha: tree.baseSha,
      startSha: tree.startSha,
      work: {
        kind: "resolve_conflict",
        pullNumber: tree.pull.number,
        baseBranch: task.defaultBranch,
        files: merged.conflicts,
        context: task.workContext,
      },
    };
  }
  try {
    if (!(await mayProceed(ctx, dir))) return settled();
    const opened = await pushToPull(ctx, {
      dir,
      pull: tree.pull,
      mode: { kind: "fast-forward" },
      eventData: { work: "merge", from: tree.startSha, merged: tree.baseSha },
    });
    return settled(opened);
  } finally {
    await removeWorktree(ctx, dir);
  }
}
