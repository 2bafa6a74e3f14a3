import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { recordAttemptProcess, recordEvent } from "../db/queries/index.js";
import { observeAgentStarted } from "../metrics/attempt-metrics.js";
import { getAdapter } from "./adapters/index.js";
import { buildAgentEnv, killProcessGroup, spawnAgent } from "./agent-process.js";
import type { AttemptContext } from "./attempt-context.js";
import { mayProceed } from "./attempt-guards.js";
import {
  type AttemptMeta,
  attemptDirFor,
  leaseFileFor,
  worktreeDirFor,
  writeAgentIdentity,
  writeAttemptMeta,
} from "./attempt-meta.js";
import { branchName } from "./branch-name.js";
import { concludeRunnerError } from "./conclude.js";
import { withinDailyBudget } from "./daily-budget.js";
import { followAttempt, type LiveAgent } from "./follow.js";
import { buildPrompt } from "./prompt.js";
import { announcePullOpened } from "./pull-settle.js";
import { checkoutPull, mergeOrResolve, rebaseOrResolve } from "./rebase-work.js";
import { revertMerge } from "./revert-work.js";
import { touchLease } from "./supervise.js";
import { workOf } from "./work-of.js";
import { type AgentPlan, type RepoAccess, type Settled, settled } from "./work-plan.js";

/**
 * A freshly claimed attempt. Rebase and revert work is git the runner does itself; the rest
 * starts an agent in a prepared worktree and follows it to its end.
 */
export async function startAttempt(ctx: AttemptContext): Promise<void> {
  const { task, attempt } = ctx;
  const attemptDir = attemptDirFor(ctx.dataDir, task.id, attempt.number);
  const worktreeDir = worktreeDirFor(ctx.dataDir, task.id, attempt.number);
  await mkdir(attemptDir, { recursive: true });

  let agent: LiveAgent;
  try {
    const gh = await ctx.github.forRepo(task.installationId, task.repoFullName);
    const access = { gh, token: await gh.createPushToken() };
    const plan = await prepareWork(ctx, access, worktreeDir);
    if ("settled" in plan) {
      // The runner did the work itself; its worktree is gone, so the hook may queue more.
      if (plan.opened) await announcePullOpened(ctx, plan.opened);
      return;
    }
    if (!(await mayProceed(ctx, worktreeDir))) return;
    if (!(await withinDailyBudget(ctx, worktreeDir))) return;
    agent = await launchAgent(ctx, plan, attemptDir, worktreeDir);
  } catch (error) {
    await concludeRunnerError(ctx, error, worktreeDir);
    return;
  }
  await followAttempt(ctx, agent);
}

async function prepareWork(
  ctx: AttemptContext,
  access: RepoAccess,
  dir: string,
): Promise<AgentPlan | Settled> {
  const work = workOf(ctx.task);
  switch (work) {
    case "revert":
      return settled(await revertMerge(ctx, access, dir));
    case "rebase":
      return rebaseOrResolve(ctx, access, dir);
    case "resolve_conflict":
      return mergeOrResolve(ctx, access, dir);
    case "fix":
      return prepareFix(ctx, access, dir);
    case "implement":
      return prepareImplement(ctx, access, dir);
  }
}

async function prepareImplement(
  ctx: AttemptContext,
  access: RepoAccess,
  dir: string,
): Promise<AgentPlan> {
  const { task, attempt } = ctx;
  const branch = branchName(task.issueNumber, task.issueTitle);
  const { baseSha, startSha } = await ctx.workspaces.createWorktree({
    repoFullName: task.repoFullName,
    cloneUrl: task.cloneUrl,
    token: access.token,
    branch,
    baseBranch: task.defaultBranch,
    dir,
    // A retry builds on work an earlier attempt already pushed.
    reuseRemoteBranch: attempt.number > 1,
  });
  return { branch, baseSha, startSha, work: { kind: "implement" } };
}

/** Failed checks or requested changes: an agent works on the PR's own branch. */
async function prepareFix(
  ctx: AttemptContext,
  access: RepoAccess,
  dir: string,
): Promise<AgentPlan> {
  const { pull, baseSha, startSha } = await checkoutPull(ctx, access, dir);
  return {
    branch: pull.branch,
    baseSha,
    startSha,
    work: { kind: "fix", pullNumber: pull.number, context: ctx.task.workContext },
  };
}

async function launchAgent(
  ctx: AttemptContext,
  plan: AgentPlan,
  attemptDir: string,
  worktreeDir: string,
): Promise<LiveAgent> {
  const { task, attempt, config } = ctx;
  const promptFile = join(attemptDir, "prompt.md");
  await writeFile(
    promptFile,
    buildPrompt({
      repoFullName: task.repoFullName,
      issue: { number: task.issueNumber, title: task.issueTitle, body: task.issueBody },
      branch: plan.branch,
      work: plan.work,
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
  const meta: AttemptMeta = {
    branch: plan.branch,
    baseSha: plan.baseSha,
    worktreeDir,
    startedAtMs: ctx.clock.now(),
    adapter: adapter.name,
    work: plan.work.kind,
    startSha: plan.startSha,
    ...(plan.work.kind === "resolve_conflict" ? { conflictFiles: [...plan.work.files] } : {}),
  };
  await writeAttemptMeta(attemptDir, meta);
  const leaseFile = leaseFileFor(attemptDir);
  await touchLease(leaseFile);
  const spawned = await spawnAgent({
    launch,
    cwd: worktreeDir,
    env,
    attemptDir,
    lease: { file: leaseFile, ttlMs: ctx.leaseTtlMs },
  });
  writeAgentIdentity(attemptDir, spawned);
  try {
    await recordAttemptProcess(ctx.db, {
      attemptId: attempt.id,
      leaseToken: attempt.leaseToken,
      pid: spawned.pid,
      pidStartTime: spawned.startTime,
      dir: attemptDir,
    });
  } catch (error) {
    // The attempt is about to be retried: an agent nobody follows must not run beside the next.
    await killProcessGroup(spawned.pid, { graceMs: config.agent.killGrace, clock: ctx.clock });
    throw error;
  }
  await recordEvent(ctx.db, {
    taskId: task.id,
    attemptId: attempt.id,
    kind: "agent_started",
    data: { pid: spawned.pid, adapter: adapter.name, runner: attempt.runnerId, work: meta.work },
  });
  observeAgentStarted(ctx);
  return {
    pid: spawned.pid,
    startTime: spawned.startTime,
    exit: spawned.exit,
    attemptDir,
    meta,
    lastHeartbeatAtMs: undefined,
  };
}
