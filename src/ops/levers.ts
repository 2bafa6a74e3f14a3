import { randomUUID } from "node:crypto";
import { userInfo } from "node:os";
import { eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import {
  CANCELLABLE_STATES,
  cancelActiveTask,
  latestTaskFor,
  PULL_STATES,
  requeueFailedTask,
  resumeRepo,
} from "../db/queries/index.js";
import { tasks } from "../db/schema.js";

/** An issue (or the PR the fleet opened for it) in a repository: `owner/repo#12`. */
export interface TaskRef {
  repoFullName: string;
  number: number;
}

/**
 * The operator's levers: `fleet retry|cancel|resume`, with the effect of the `/fleet` comment
 * commands on the database. The NOTIFY the queries send makes runners react: a requeued task is
 * claimed, a cancelled one has its agent killed, a resumed repo is dispatched again.
 */
export interface LeverResult {
  ok: boolean;
  message: string;
}

/** Who pulled the lever, as recorded in the events; a colon never appears in a GitHub login. */
export function operatorName(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return "cli";
  }
}

const show = (ref: TaskRef) => `${ref.repoFullName}#${ref.number}`;

export async function retryTask(db: Db, ref: TaskRef, by = operatorName()): Promise<LeverResult> {
  const latest = await latestTaskFor(db, ref.repoFullName, ref.number);
  if (!latest) return { ok: false, message: `${show(ref)}: no agent-fleet task for this issue` };
  const result = await requeueFailedTask(db, {
    repoFullName: ref.repoFullName,
    issueNumber: latest.issueNumber,
    requestedBy: by,
    // The query dedupes webhook deliveries; a lever pulled by hand is always a new request.
    deliveryId: `cli:${randomUUID()}`,
  });
  switch (result.kind) {
    case "requeued":
      return {
        ok: true,
        message: `${show(ref)}: task ${result.task.id} is queued again with a fresh attempt budget`,
      };
    case "already-active":
      return {
        ok: false,
        message: `${show(ref)}: task ${result.task.id} is ${result.task.state}, still active, so there is nothing to retry`,
      };
    case "nothing-failed":
    case "duplicate-delivery":
      return {
        ok: false,
        message: `${show(ref)}: task ${latest.id} is ${latest.state}; only a failed task can be retried`,
      };
  }
}

export async function cancelTask(db: Db, ref: TaskRef, by = operatorName()): Promise<LeverResult> {
  const target = await latestTaskFor(db, ref.repoFullName, ref.number);
  if (!target) return { ok: false, message: `${show(ref)}: no agent-fleet task for this issue` };
  const task = await cancelActiveTask(db, {
    repoFullName: ref.repoFullName,
    issueNumber: target.issueNumber,
    reason: `fleet cancel by ${by}`,
    // As with the comment command, a human may also stop the fleet's handling of an open PR.
    includeOpenPulls: true,
  });
  if (!task) {
    const cancellable = [...CANCELLABLE_STATES, ...PULL_STATES].join(", ");
    return {
      ok: false,
      message: `${show(ref)}: task ${target.id} is ${target.state}; only a task that is ${cancellable} can be cancelled`,
    };
  }
  const runner = task.leaseOwner ? `; runner ${task.leaseOwner} stops its agent` : "";
  return { ok: true, message: `${show(ref)}: task ${task.id} cancelled${runner}` };
}

export async function resumeRepoLever(
  db: Db,
  repoFullName: string,
  by = operatorName(),
): Promise<LeverResult> {
  if (await resumeRepo(db, repoFullName, by)) {
    return {
      ok: true,
      message: `${repoFullName}: resumed; queued tasks are dispatched again and held PRs are judged at their next event`,
    };
  }
  const [known] = await db
    .select({ id: tasks.id })
    .from(tasks)
    .where(eq(tasks.repoFullName, repoFullName))
    .limit(1);
  return {
    ok: false,
    message: known
      ? `${repoFullName}: not paused; nothing to resume`
      : `${repoFullName}: no agent-fleet task in this repository, and it is not paused`,
  };
}
