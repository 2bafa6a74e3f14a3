import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { finishAttempt, recordAttemptProcess, recordEvent } from "../db/queries/index.js";
import { getAdapter } from "./adapters/index.js";
import { buildAgentEnv, spawnAgent } from "./agent-process.js";
import type { AttemptContext } from "./attempt-context.js";
import {
  type AttemptMeta,
  attemptDirFor,
  leaseFileFor,
  worktreeDirFor,
  writeAttemptMeta,
} from "./attempt-meta.js";
import { branchName } from "./branch-name.js";
import { concludeRunnerError } from "./conclude.js";
import { followAttempt } from "./follow.js";
import { buildPrompt } from "./prompt.js";
import { touchLease } from "./supervise.js";

/** A freshly claimed attempt: worktree, prompt, agent; then it is followed to its end. */
export async function startAttempt(ctx: AttemptContext): Promise<void> {
  const { task, attempt, config } = ctx;
  const attemptDir = attemptDirFor(ctx.dataDir, task.id, attempt.number);
  const worktreeDir = worktreeDirFor(ctx.dataDir, task.id, attempt.number);
  const branch = branchName(task.issueNumber, task.issueTitle);
  await mkdir(attemptDir, { recursive: true });

  let meta: AttemptMeta;
  let spawned: Awaited<ReturnType<typeof spawnAgent>>;
  try {
    const gh = await ctx.github.forRepo(task.installationId, task.repoFullName);
    const token = await gh.createPushToken();
    const { baseSha } = await ctx.workspaces.createWorktree({
      repoFullName: task.repoFullName,
      cloneUrl: task.cloneUrl,
      token,
      branch,
      baseBranch: task.defaultBranch,
      dir: worktreeDir,
      // A retry builds on work an earlier attempt already pushed.
      reuseRemoteBranch: attempt.number > 1,
    });
    if (ctx.release.aborted || ctx.cancel.aborted) {
      await giveBackUnstarted(ctx, worktreeDir);
      return;
    }

    const promptFile = join(attemptDir, "prompt.md");
    await writeFile(
      promptFile,
      buildPrompt({
        repoFullName: task.repoFullName,
        issue: { number: task.issueNumber, title: task.issueTitle, body: task.issueBody },
        branch,
      }),
    );
    const adapter = getAdapter(config.agent.adapter);
    const launch = adapter.launch({
      promptFile,
      issueNumber: task.issueNumber,
      repoFullName: task.repoFullName,
      workdir: worktreeDir,
      attemptDir,
      settings: { ...config.agent, command: config.agent.command ?? ctx.defaultAgentCommand },
    });
    const passthrough: Record<string, string> = {};
    for (const name of [...adapter.defaultPassthrough, ...config.agent.env]) {
      const value = ctx.hostEnv[name];
      if (value !== undefined) passthrough[name] = value;
    }
    const env = buildAgentEnv({
      attemptDir,
      workdir: worktreeDir,
      issueNumber: task.issueNumber,
      extra: { ...passthrough, ...launch.env },
    });
    meta = {
      branch,
      baseSha,
      worktreeDir,
      startedAtMs: ctx.clock.now(),
      adapter: adapter.name,
    };
    await writeAttemptMeta(attemptDir, meta);
    const leaseFile = leaseFileFor(attemptDir);
    await touchLease(leaseFile);
    spawned = await spawnAgent({
      launch,
      cwd: worktreeDir,
      env,
      attemptDir,
      lease: { file: leaseFile, ttlMs: ctx.leaseTtlMs },
    });
    await recordAttemptProcess(ctx.db, {
      attemptId: attempt.id,
      leaseToken: attempt.leaseToken,
      pid: spawned.pid,
      pidStartTime: spawned.startTime,
      dir: attemptDir,
    });
    await recordEvent(ctx.db, {
      taskId: task.id,
      attemptId: attempt.id,
      kind: "agent_started",
      data: { pid: spawned.pid, adapter: adapter.name, runner: attempt.runnerId },
    });
  } catch (error) {
    await concludeRunnerError(ctx, error, worktreeDir);
    return;
  }
  await followAttempt(ctx, {
    pid: spawned.pid,
    startTime: spawned.startTime,
    exit: spawned.exit,
    attemptDir,
    meta,
    lastHeartbeatAtMs: undefined,
  });
}

/** The runner is stopping before the agent started: hand the task back to the queue. */
async function giveBackUnstarted(ctx: AttemptContext, worktreeDir: string): Promise<void> {
  await ctx.workspaces.removeWorktree(worktreeDir).catch(() => undefined);
  if (ctx.cancel.aborted) return; // cancelling already closed the task and its attempt
  await finishAttempt(ctx.db, {
    taskId: ctx.task.id,
    attemptId: ctx.attempt.id,
    leaseToken: ctx.attempt.leaseToken,
    outcome: "released",
    to: "queued",
  });
  ctx.log.info("runner stopping before the agent started; task returned to the queue");
}
