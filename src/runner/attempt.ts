import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { Clock } from "../config/clock.js";
import { type FleetConfig, parseFleetConfig } from "../config/fleet-config.js";
import type { Db } from "../db/client.js";
import { finishAttempt, getTask, recordAttemptProcess, recordEvent } from "../db/queries/index.js";
import type { Attempt, Task } from "../db/schema.js";
import type { DeliveryGitHub, DeliveryGitHubFactory } from "../github/types.js";
import { redactText } from "../log.js";
import {
  agentFailedComment,
  noChangesComment,
  pullRequestOpenedComment,
} from "../tasks/messages.js";
import { getAdapter } from "./adapters/index.js";
import { type AgentExit, buildAgentEnv, killProcessGroup, spawnAgent } from "./agent-process.js";
import { branchName } from "./branch-name.js";
import { tailFile } from "./file-tail.js";
import { pullRequestBody } from "./pr-body.js";
import { buildPrompt } from "./prompt.js";
import type { Workspaces } from "./workspace.js";

export interface AttemptContext {
  task: Task;
  attempt: Attempt;
  db: Db;
  clock: Clock;
  log: Logger;
  github: DeliveryGitHubFactory;
  workspaces: Workspaces;
  dataDir: string;
  /** Aborted when the task is cancelled or the runner stops. */
  signal: AbortSignal;
  defaultAgentCommand: string[] | undefined;
  hostEnv: NodeJS.ProcessEnv;
}

/** One attempt, start to finish: worktree, agent, then a PR, a no-changes note or a failure note. */
export async function runAttempt(ctx: AttemptContext): Promise<void> {
  const { task, attempt, log } = ctx;
  const config = taskConfig(task);
  const attemptDir = join(ctx.dataDir, "attempts", `${task.id}-${attempt.number}`);
  const worktreeDir = join(ctx.dataDir, "worktrees", `${task.id}-${attempt.number}`);
  const branch = branchName(task.issueNumber, task.issueTitle);
  await mkdir(attemptDir, { recursive: true });

  let gh: DeliveryGitHub | undefined;
  let token: string | undefined;
  let worktreeMade = false;
  try {
    gh = await ctx.github.forRepo(Number(task.installationId), task.repoFullName);
    token = await gh.createPushToken();
    const { baseSha } = await ctx.workspaces.createWorktree({
      repoFullName: task.repoFullName,
      cloneUrl: task.cloneUrl,
      token,
      branch,
      baseBranch: task.defaultBranch,
      dir: worktreeDir,
    });
    worktreeMade = true;

    const started = ctx.clock.now();
    const exit = await superviseAgent(ctx, config, { attemptDir, workdir: worktreeDir, branch });
    const runtimeMs = ctx.clock.now() - started;
    if (exit === "cancelled") return;

    if (!(await stillOurs(ctx))) {
      log.warn("task changed hands while the agent ran; nothing is pushed");
      return;
    }
    if (exit.code !== 0) {
      const stderrTail = redactText(await tailFile(join(attemptDir, "stderr.log")), [token]);
      const done = await finishAttempt(ctx.db, {
        taskId: Number(task.id),
        attemptId: Number(attempt.id),
        leaseToken: attempt.leaseToken,
        outcome: "crashed",
        exitCode: exit.code,
        signal: exit.signal,
        to: "failed",
        set: { lastError: `agent exited with ${exit.signal ?? `code ${exit.code}`}` },
      });
      if (done) {
        await gh.comment(
          task.issueNumber,
          agentFailedComment({
            attempt: attempt.number,
            exitCode: exit.code,
            signal: exit.signal,
            stderrTail,
          }),
        );
      }
      return;
    }

    await ctx.workspaces.commitAll(worktreeDir, `${task.issueTitle}\n\nRefs #${task.issueNumber}`);
    const changedFiles = await ctx.workspaces.changedFiles(worktreeDir, baseSha);
    if (changedFiles.length === 0) {
      const done = await finishAttempt(ctx.db, {
        taskId: Number(task.id),
        attemptId: Number(attempt.id),
        leaseToken: attempt.leaseToken,
        outcome: "no_changes",
        exitCode: 0,
        signal: null,
        to: "no_changes",
      });
      if (done) await gh.comment(task.issueNumber, noChangesComment(attempt.number));
      return;
    }

    await ctx.workspaces.push({ dir: worktreeDir, cloneUrl: task.cloneUrl, branch, token });
    const pr = await gh.createPullRequest({
      title: task.issueTitle,
      head: branch,
      base: task.defaultBranch,
      body: pullRequestBody({
        issueNumber: task.issueNumber,
        attempt: attempt.number,
        runtimeMs,
        adapter: config.agent.adapter,
        requestedBy: task.requestedBy,
        changedFiles,
      }),
    });
    const done = await finishAttempt(ctx.db, {
      taskId: Number(task.id),
      attemptId: Number(attempt.id),
      leaseToken: attempt.leaseToken,
      outcome: "succeeded",
      exitCode: 0,
      signal: null,
      to: "pr_open",
      set: { branch, prNumber: pr.number, prUrl: pr.url },
      eventData: { pr: pr.number, branch, changedFiles: changedFiles.length },
    });
    if (!done) {
      log.warn({ pr: pr.number }, "PR opened but the task was taken from this runner meanwhile");
      return;
    }
    await gh.comment(task.issueNumber, pullRequestOpenedComment(pr.url));
    log.info({ pr: pr.number, branch }, "pull request opened");
  } catch (error) {
    const message = redactText((error as Error).message ?? String(error), token ? [token] : []);
    log.error({ err: { message } }, "attempt failed in the runner");
    const done = await finishAttempt(ctx.db, {
      taskId: Number(task.id),
      attemptId: Number(attempt.id),
      leaseToken: attempt.leaseToken,
      outcome: "runner_error",
      exitCode: null,
      signal: null,
      to: "failed",
      set: { lastError: message.slice(0, 2000) },
    });
    if (done && gh) {
      await gh
        .comment(task.issueNumber, runnerErrorComment(message))
        .catch((e) => log.warn({ err: e }, "could not comment the failure"));
    }
  } finally {
    if (worktreeMade) {
      await ctx.workspaces
        .removeWorktree(worktreeDir)
        .catch((e) => log.warn({ err: e }, "worktree cleanup failed"));
    }
  }
}

function runnerErrorComment(message: string): string {
  return `<!-- agent-fleet -->
agent-fleet could not run the agent for this issue: ${message.split("\n")[0]}`;
}

function taskConfig(task: Task): FleetConfig {
  const parsed = parseFleetConfig(task.config);
  if (!parsed.ok) throw new Error(`stored fleet config is invalid: ${parsed.errors[0]?.message}`);
  return parsed.config;
}

async function stillOurs(ctx: AttemptContext): Promise<boolean> {
  const current = await getTask(ctx.db, Number(ctx.task.id));
  return current?.state === "running" && current.leaseToken === ctx.attempt.leaseToken;
}

/** Spawns the agent detached and waits for its exit, or kills its group when told to stop. */
async function superviseAgent(
  ctx: AttemptContext,
  config: FleetConfig,
  where: { attemptDir: string; workdir: string; branch: string },
): Promise<AgentExit | "cancelled"> {
  const { task, attempt } = ctx;
  const promptFile = join(where.attemptDir, "prompt.md");
  await writeFile(
    promptFile,
    buildPrompt({
      repoFullName: task.repoFullName,
      issue: { number: task.issueNumber, title: task.issueTitle, body: task.issueBody },
      branch: where.branch,
    }),
  );
  const adapter = getAdapter(config.agent.adapter);
  const command = config.agent.command ?? ctx.defaultAgentCommand;
  const launch = adapter.launch({
    promptFile,
    issueNumber: task.issueNumber,
    repoFullName: task.repoFullName,
    workdir: where.workdir,
    attemptDir: where.attemptDir,
    settings: { ...config.agent, command },
  });
  const passthrough: Record<string, string> = {};
  for (const name of [...adapter.defaultPassthrough, ...config.agent.env]) {
    const value = ctx.hostEnv[name];
    if (value !== undefined) passthrough[name] = value;
  }
  const env = buildAgentEnv({
    attemptDir: where.attemptDir,
    workdir: where.workdir,
    issueNumber: task.issueNumber,
    extra: { ...passthrough, ...launch.env },
  });
  const agent = await spawnAgent({ launch, cwd: where.workdir, env, attemptDir: where.attemptDir });
  await recordAttemptProcess(ctx.db, {
    attemptId: Number(attempt.id),
    leaseToken: attempt.leaseToken,
    pid: agent.pid,
    pidStartTime: agent.startTime,
    dir: where.attemptDir,
  });
  await recordEvent(ctx.db, {
    taskId: Number(task.id),
    attemptId: Number(attempt.id),
    kind: "agent_started",
    data: { pid: agent.pid, adapter: adapter.name },
  });

  const aborted = new Promise<"aborted">((resolve) => {
    if (ctx.signal.aborted) resolve("aborted");
    ctx.signal.addEventListener("abort", () => resolve("aborted"), { once: true });
  });
  const first = await Promise.race([agent.exit, aborted]);
  if (first !== "aborted") return first;

  const how = await killProcessGroup(agent.pid, {
    graceMs: ctx.clock.scale(config.agent.killGrace),
  });
  const exit = await agent.exit;
  ctx.log.info({ pid: agent.pid, how, reason: String(ctx.signal.reason) }, "agent stopped");
  await finishAttempt(ctx.db, {
    taskId: Number(task.id),
    attemptId: Number(attempt.id),
    leaseToken: attempt.leaseToken,
    outcome: "cancelled",
    exitCode: exit.code,
    signal: exit.signal,
    to: ctx.signal.reason === "cancelled" ? "cancelled" : "queued",
  });
  return "cancelled";
}
