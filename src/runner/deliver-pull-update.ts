import type { Task } from "../db/schema.js";
import type { AttemptContext } from "./attempt-context.js";
import { stillHeld } from "./attempt-guards.js";
import type { LiveAgent } from "./follow.js";
import { conflictResolvedComment, fixPushedComment } from "./pull-messages.js";
import { flagPull, openPullOf, pushToPull } from "./pull-settle.js";

/**
 * Fix work, exit 0: the agent's commits go on top of the PR's head, pushed fast-forward only
 * (a commit someone else pushed meanwhile makes the push fail and the attempt retry). No new
 * PR. An attempt that changed nothing hands the PR to humans.
 */
export async function deliverFix(ctx: AttemptContext, agent: LiveAgent): Promise<Task | null> {
  const { task, attempt } = ctx;
  const { meta } = agent;
  if (!(await stillHeld(ctx))) {
    ctx.log.warn("the task changed hands while the agent ran; nothing is pushed");
    return null;
  }
  const pull = openPullOf(task);
  await ctx.workspaces.commitAll(
    meta.worktreeDir,
    `Fix the checks and review of #${pull.number}\n\nRefs #${task.issueNumber}`,
  );
  const startSha = meta.startSha ?? meta.baseSha;
  if (!(await ctx.workspaces.hasChangesSince(meta.worktreeDir, startSha))) {
    await flagPull(ctx, {
      reason: `the agent asked to fix the failing checks or the review (attempt ${attempt.number}) changed nothing`,
      outcome: "no_changes",
      exitCode: 0,
    });
    return null;
  }
  return pushToPull(ctx, {
    dir: meta.worktreeDir,
    pull,
    mode: { kind: "fast-forward" },
    exitCode: 0,
    eventData: { work: "fix", from: startSha },
    comment: (sha) => fixPushedComment({ sha, attempt: attempt.number }),
  });
}

/**
 * Conflict work, exit 0: the runner checks the agent's merge itself. No unmerged path, no
 * conflict marker left in the files that conflicted, and the default branch really merged in;
 * then the merge is committed and pushed fast-forward. Anything else hands the PR to humans.
 */
export async function deliverResolution(
  ctx: AttemptContext,
  agent: LiveAgent,
): Promise<Task | null> {
  const { task } = ctx;
  const { meta } = agent;
  const dir = meta.worktreeDir;
  if (!(await stillHeld(ctx))) {
    ctx.log.warn("the task changed hands while the agent ran; nothing is pushed");
    return null;
  }
  const pull = openPullOf(task);
  const conflicts = meta.conflictFiles ?? [];
  const unmerged = await ctx.workspaces.unmergedPaths(dir);
  const marked = await ctx.workspaces.filesWithConflictMarkers(dir, conflicts);
  const left = [...new Set([...unmerged, ...marked])];
  if (left.length > 0) {
    await flagPull(ctx, {
      reason: `a merge of ${task.defaultBranch} conflicts and the agent left it unresolved in ${fileList(left)}`,
      outcome: "conflict_unresolved",
      exitCode: 0,
    });
    return null;
  }
  await ctx.workspaces.commitAll(
    dir,
    `Merge branch '${task.defaultBranch}' into ${pull.branch}\n\nRefs #${task.issueNumber}`,
  );
  if (!(await ctx.workspaces.isAncestor(dir, meta.baseSha))) {
    await flagPull(ctx, {
      reason: `the agent abandoned the merge of ${task.defaultBranch}, which conflicts in ${fileList(conflicts)}`,
      outcome: "conflict_unresolved",
      exitCode: 0,
    });
    return null;
  }
  return pushToPull(ctx, {
    dir,
    pull,
    mode: { kind: "fast-forward" },
    exitCode: 0,
    eventData: { work: "resolve_conflict", files: conflicts, merged: meta.baseSha },
    comment: (sha) =>
      conflictResolvedComment({ sha, baseBranch: task.defaultBranch, files: conflicts }),
  });
}

export function fileList(files: readonly string[]): string {
  const shown = files.slice(0, 10).map((f) => `\`${f.replaceAll("`", "'")}\``);
  if (files.length > 10) shown.push(`and ${files.length - 10} more`);
  return shown.join(", ");
}
