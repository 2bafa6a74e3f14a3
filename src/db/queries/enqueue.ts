import { transactionWithEffects } from "../../metrics/after-commit.js";
import { observeEvent } from "../../metrics/observe-event.js";
import type { DbOrTx } from "../client.js";
import { notifyInTx, TASK_QUEUED } from "../notify.js";
import { activeStatePredicate, events, type Task, tasks } from "../schema.js";
import { recordDelivery } from "./deliveries.js";
import { findActiveTask } from "./read.js";

export interface EnqueueInput {
  /** X-GitHub-Delivery of the issues.labeled webhook; a redelivery enqueues nothing. */
  deliveryId?: string;
  repoFullName: string;
  repoId: number;
  installationId: number;
  issueNumber: number;
  issueTitle: string;
  issueBody: string;
  defaultBranch: string;
  cloneUrl: string;
  requestedBy: string;
  /** Snapshot of the repo's fleet.yml. */
  config: Record<string, unknown>;
  priority?: number;
}

export type EnqueueResult =
  | { task: Task; created: boolean; duplicateDelivery: false }
  /** A redelivered webhook: the issue's active task if there still is one. */
  | { task: Task | null; created: false; duplicateDelivery: true };

/** Thrown inside the transaction to roll it back and try again. */
class SlotFreedMeanwhile extends Error {}

/**
 * Queues one task for the issue, or returns the task already holding its active slot. The partial
 * unique index decides between concurrent callers, so any number of replicas may race here.
 */
export async function enqueueTask(db: DbOrTx, input: EnqueueInput): Promise<EnqueueResult> {
  for (let tries = 1; ; tries++) {
    try {
      return await transactionWithEffects(db, (tx) => enqueueOnce(tx, input));
    } catch (err) {
      if (!(err instanceof SlotFreedMeanwhile) || tries >= 5) throw err;
    }
  }
}

async function enqueueOnce(tx: DbOrTx, input: EnqueueInput): Promise<EnqueueResult> {
  if (input.deliveryId !== undefined) {
    const fresh = await recordDelivery(tx, {
      deliveryId: input.deliveryId,
      event: "issues",
      action: "labeled",
    });
    if (!fresh) {
      const task = await findActiveTask(tx, input.repoFullName, input.issueNumber);
      return { task, created: false, duplicateDelivery: true };
    }
  }

  const [created] = await tx
    .insert(tasks)
    .values({
      repoFullName: input.repoFullName,
      repoId: input.repoId,
      installationId: input.installationId,
      issueNumber: input.issueNumber,
      issueTitle: input.issueTitle,
      issueBody: input.issueBody,
      defaultBranch: input.defaultBranch,
      cloneUrl: input.cloneUrl,
      requestedBy: input.requestedBy,
      config: input.config,
      priority: input.priority ?? 0,
      state: "queued",
    })
    .onConflictDoNothing({
      target: [tasks.repoFullName, tasks.issueNumber],
      where: activeStatePredicate,
    })
    .returning();

  if (created) {
    const event = {
      taskId: created.id,
      kind: "enqueued",
      toState: "queued" as const,
      data: { requestedBy: input.requestedBy, deliveryId: input.deliveryId },
    };
    await tx.insert(events).values(event);
    observeEvent(tx, event);
    await notifyInTx(tx, TASK_QUEUED, String(created.id));
    return { task: created, created: true, duplicateDelivery: false };
  }

  // Lost the race (or labeled twice): the winner is committed and visible to this new statement.
  const existing = await findActiveTask(tx, input.repoFullName, input.issueNumber);
  if (!existing) throw new SlotFreedMeanwhile();
  return { task: existing, created: false, duplicateDelivery: false };
}
