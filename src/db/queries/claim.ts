import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client.js";
import { mapRow } from "../map-row.js";
import { type Attempt, attempts, type Task, tasks } from "../schema.js";
import { assertTransition } from "../task-states.js";

assertTransition("queued", "running");

/** First key of the two-int advisory lock space used for per-repo claim locks ("fl"). */
const REPO_CLAIM_LOCK_SPACE = 0x666c;

export interface ClaimInput {
  runnerId: string;
  leaseMs: number;
  /** Most tasks of one repo in `running` at once, unless its fleet.yml says otherwise. Default 2. */
  repoConcurrency?: number;
}

/** Thrown to roll back a claim whose repo turned out to be full. */
class RepoFull extends Error {
  constructor(readonly repo: string) {
    super(`repo ${repo} is at its concurrency cap`);
  }
}

/**
 * Claims the next due queued task: marks it running under a fresh lease, inserts its attempt
 * row and the queued -> running event, all in one short transaction.
 *
 * Per-repo concurrency: a `count(running) < cap` predicate alone is not enough, because two
 * claimers can each pick a different task of the same repo from snapshots that predate the
 * other's claim. So the predicate only skips repos that are visibly full; after picking, the
 * claim takes a transaction advisory lock on the repo and recounts in a new statement, whose
 * snapshot includes every committed claim of that repo (any in-flight one holds the lock). If
 * that recount is over the cap, the claim rolls back and tries again without that repo. Only
 * claims make tasks `running`, and each holds at most one repo lock, so this cannot deadlock.
 *
 * A paused repo (its default branch went red after a merge) gets no new work until a maintainer
 * resumes it, except the revert that makes it green again.
 */
export async function claimNextTask(
  db: DbOrTx,
  input: ClaimInput,
): Promise<{ task: Task; attempt: Attempt } | null> {
  const fullRepos: string[] = [];
  for (;;) {
    try {
      return await db.transaction((tx) => claimOnce(tx, input, fullRepos));
    } catch (err) {
      if (!(err instanceof RepoFull)) throw err;
      fullRepos.push(err.repo);
    }
  }
}

/** The repo's own cap from its fleet.yml snapshot (`agent.maxConcurrent`), else the default. */
function repoCap(task: Task, fallback: number): number {
  const agent = (task.config as { agent?: { maxConcurrent?: unknown } }).agent;
  const cap = Number(agent?.maxConcurrent);
  return Number.isInteger(cap) && cap > 0 ? cap : fallback;
}

async function claimOnce(
  tx: DbOrTx,
  input: ClaimInput,
  skipRepos: readonly string[],
): Promise<{ task: Task; attempt: Attempt } | null> {
  const cap = input.repoConcurrency ?? 2;
  const skip =
    skipRepos.length > 0
      ? sql`and c.repo_full_name not in (${sql.join(
          skipRepos.map((r) => sql`${r}`),
          sql`, `,
        )})`
      : sql``;
  // NO KEY UPDATE: claimers still exclude each other, but a row that only carries an FK check's
  // KEY SHARE lock (an event being inserted for it) is not skipped. RETURNING takes the repo
  // lock, saving a round trip; the recount below runs in a later statement, after the lock.
  const claimed = await tx.execute(sql`
    with next as materialized (
      select c.id from tasks c
      where c.state = 'queued' and c.run_after <= now() ${skip}
        and (c.kind = 'revert' or not exists (
          select 1 from repo_states p
          where p.repo_full_name = c.repo_full_name
            and (p.paused_at is not null or p.config_errors is not null)))
        and (select count(*) from tasks r
             where r.repo_full_name = c.repo_full_name and r.state = 'running')
            < coalesce((c.config->'agent'->>'maxConcurrent')::int, ${cap})
      order by c.priority desc nulls last, c.id
      limit 1
      for no key update skip locked
    )
    update tasks t set
      state = 'running',
      attempt = t.attempt + 1,
      lease_owner = ${input.runnerId},
      lease_token = gen_random_uuid(),
      lease_expires_at = now() + ${Math.round(input.leaseMs)} * interval '1 millisecond',
      updated_at = now()
    from next
    where t.id = next.id and t.state = 'queued'
    returning t.*, pg_advisory_xact_lock(${REPO_CLAIM_LOCK_SPACE}, hashtext(t.repo_full_name))`);
  const row = claimed.rows[0];
  if (!row) return null;
  const task = mapRow(tasks, row);

  // The recount (its snapshot now includes every committed claim of the repo), the attempt and
  // the event in one statement: no attempt row means the repo is over its cap.
  const inserted = await tx.execute(sql`
    with running as (
      select count(*) as n from tasks
      where repo_full_name = ${task.repoFullName} and state = 'running'
    ), attempt as (
      insert into attempts (task_id, number, runner_id, lease_token)
      select ${task.id}, ${task.attempt}, ${input.runnerId}, ${task.leaseToken}
      from running where running.n <= ${repoCap(task, cap)}
      returning *
    ), event as (
      insert into events (task_id, attempt_id, kind, from_state, to_state, data)
      select attempt.task_id, attempt.id, 'claimed', 'queued', 'running',
        jsonb_build_object('runnerId', attempt.runner_id, 'attempt', attempt.number)
      from attempt
    )
    select * from attempt`);
  const attemptRow = inserted.rows[0];
  if (!attemptRow) throw new RepoFull(task.repoFullName);
  const attempt = mapRow(attempts, attemptRow);
  return { task, attempt };
}
