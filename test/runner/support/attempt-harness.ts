import { join } from "node:path";
import pino from "pino";
import { type Clock, createClock } from "../../../src/config/clock.js";
import { parseFleetConfig } from "../../../src/config/fleet-config.js";
import type { Db } from "../../../src/db/client.js";
import { claimNextTask, getTask, listAttempts, listEvents } from "../../../src/db/queries/index.js";
import { type NewTask, tasks } from "../../../src/db/schema.js";
import { startAttempt } from "../../../src/runner/attempt.js";
import type { AttemptContext } from "../../../src/runner/attempt-context.js";
import { Workspaces } from "../../../src/runner/workspace.js";
import { taskInput } from "../../db/fixtures.js";
import { fakeGitHub } from "./fake-github.js";
import type { GitRemote } from "./git-remote.js";

/**
 * Runs one attempt the way a runner does: queue a task (or take one already queued), claim it,
 * start the attempt and wait for its end. A real database, real git and a real agent process.
 */
export function attemptHarness(opts: { db: () => Db; dataDir: string }) {
  const workspaces = new Workspaces({ root: opts.dataDir });

  async function queue(
    repo: GitRemote,
    config: Record<string, unknown>,
    columns: Partial<NewTask> = {},
  ) {
    const [task] = await opts
      .db()
      .insert(tasks)
      .values({
        ...taskInput({
          repoFullName: repo.repoFullName,
          issueNumber: columns.issueNumber ?? 5,
          issueTitle: "Make the README shout",
          cloneUrl: repo.cloneUrl,
          config,
        }),
        state: "queued",
        ...columns,
      })
      .returning();
    if (!task) throw new Error("no task inserted");
    return task;
  }

  /** Claims the next due task and runs its attempt to the end. */
  async function claimAndRun(
    options: { clock?: Clock; cancel?: AbortSignal; hostEnv?: NodeJS.ProcessEnv } = {},
  ) {
    const db = opts.db();
    const claim = await claimNextTask(db, { runnerId: "r1", leaseMs: 60_000 });
    if (!claim) throw new Error("nothing to claim");
    const parsed = parseFleetConfig(claim.task.config);
    if (!parsed.ok) throw new Error("bad config");
    const github = fakeGitHub();
    const ctx: AttemptContext = {
      ...claim,
      config: parsed.config,
      db,
      clock: options.clock ?? createClock(1),
      log: pino({ level: process.env.TEST_LOG ?? "silent" }),
      github: github.factory,
      workspaces,
      dataDir: opts.dataDir,
      cancel: options.cancel ?? new AbortController().signal,
      release: new AbortController().signal,
      leaseTtlMs: 60_000,
      defaultAgentCommand: undefined,
      hostEnv: options.hostEnv ?? {},
      onHeartbeat: () => {},
    };
    await startAttempt(ctx);
    const task = await getTask(db, claim.task.id);
    if (!task) throw new Error("task vanished");
    return {
      claimed: claim,
      task,
      calls: github.calls,
      attempts: await listAttempts(db, task.id),
      events: await listEvents(db, task.id),
      attemptDir: join(opts.dataDir, "attempts", `${task.id}-${claim.attempt.number}`),
    };
  }

  return { queue, claimAndRun };
}
