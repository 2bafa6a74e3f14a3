import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { count, inArray, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { tasks } from "../db/schema.js";
import type { TaskState } from "../db/task-states.js";
import { readJournal } from "./journal.js";
import { isAgentAlive } from "./orphans.js";
import type { AttemptFact } from "./report.js";

/**
 * Tasks that will still do something by themselves: `retry_wait` comes back as `queued`, a merge
 * finishes, and a merged task is settled by its post-merge checks or its verify deadline.
 */
const WORKING_STATES: TaskState[] = ["queued", "running", "retry_wait", "merging", "merged"];

/** Real ms the whole world must stay still before it counts as settled. */
const STILL_MS = 150;

/**
 * Waits until no task is queued, running or waiting to retry and no scripted agent from the
 * journal is alive. The runners are other processes, so only outside facts count: the database,
 * the journal and /proc. False when the deadline passed first.
 */
export async function waitUntilSettled(input: {
  db: Db;
  journalFile: string;
  deaths: ReadonlyMap<number, number>;
  timeoutMs: number;
  /** GitHub's side: resolves once no webhook or CI run is in flight. */
  github: { settled(): Promise<void>; activity(): number };
  /**
   * Real ms the world must stay still; at least STILL_MS. Debounced writers (the dashboard
   * issue) act this long after the last event, so the stillness must outlast them.
   */
  stillMs?: number;
}): Promise<boolean> {
  const stillMs = Math.max(STILL_MS, input.stillMs ?? 0);
  const deadline = Date.now() + input.timeoutMs;
  const still = async () => {
    const [row] = await input.db
      .select({ working: count() })
      .from(tasks)
      .where(inArray(tasks.state, WORKING_STATES));
    if ((row?.working ?? 0) > 0) return false;
    const journal = await readJournal(input.journalFile);
    return !journal.some((e) => e.event === "start" && !input.deaths.has(e.pid) && isAgentAlive(e));
  };
  for (;;) {
    // The deadline's timer must not outlive the wait, or it holds the process open.
    const timeout = new AbortController();
    await Promise.race([
      input.github.settled(),
      delay(Math.max(0, deadline - Date.now()), undefined, { signal: timeout.signal }).catch(
        () => undefined,
      ),
    ]);
    timeout.abort();
    if (await still()) {
      // A runner may be between two steps (a PR recorded, its merge not yet asked for): the
      // world has settled only if nothing moved on either side for a moment.
      const before = input.github.activity();
      await delay(stillMs);
      if (input.github.activity() === before && (await still())) return true;
    }
    if (Date.now() > deadline) return false;
    await delay(50);
  }
}

/**
 * After the last task settled a runner may still be commenting and removing the worktree; it
 * removes the worktree last, so empty worktree folders mean it is done. Bounded: a leaked
 * worktree is reported, not waited for.
 */
export async function waitForWorktreeCleanup(dataDirs: readonly string[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let busy = false;
    for (const dir of dataDirs) {
      const names = await readdir(join(dir, "worktrees")).catch(() => []);
      if (names.length > 0) busy = true;
    }
    if (!busy || Date.now() > deadline) return;
    await delay(50);
  }
}

/** The app's own view of each issue: its latest task, its attempts, refusals and adoptions. */
export async function collectAppFacts(db: Db) {
  const taskRows = await db.execute<{
    repo_full_name: string;
    issue_number: number;
    state: string;
    pr_number: number | null;
    decision: string | null;
    flagged_reason: string | null;
  }>(sql`select distinct on (repo_full_name, issue_number)
           repo_full_name, issue_number, state, pr_number, decision, flagged_reason
         from tasks where kind = 'issue' order by repo_full_name, issue_number, id desc`);
  const latest = new Map(
    taskRows.rows.map((r) => [
      `${r.repo_full_name}#${r.issue_number}`,
      {
        state: r.state,
        prNumber: r.pr_number,
        decision: r.decision,
        flaggedReason: r.flagged_reason,
      },
    ]),
  );
  const [paused] = (
    await db.execute<{ n: string }>(
      sql`select count(*)::text as n from repo_states where paused_at is not null`,
    )
  ).rows;
  const attemptRows = await db.execute<{
    key: string;
    number: number;
    outcome: string | null;
    runner_id: string;
    pid: number | null;
    exit_code: number | null;
    signal: string | null;
    started_ms: string;
    ended_ms: string | null;
  }>(sql`select t.repo_full_name || '#' || t.issue_number as key, a.number, a.outcome,
                a.runner_id, a.pid, a.exit_code, a.signal,
                (extract(epoch from a.started_at) * 1000)::bigint::text as started_ms,
                (extract(epoch from a.ended_at) * 1000)::bigint::text as ended_ms
         from attempts a join tasks t on t.id = a.task_id
         where t.kind = 'issue'
         order by t.id, a.number`);
  const attempts = new Map<string, AttemptFact[]>();
  for (const r of attemptRows.rows) {
    const list = attempts.get(r.key) ?? [];
    list.push({
      number: r.number,
      outcome: r.outcome,
      runnerId: r.runner_id,
      pid: r.pid,
      exitCode: r.exit_code,
      signal: r.signal,
      startedAt: Number(r.started_ms),
      endedAt: r.ended_ms === null ? null : Number(r.ended_ms),
    });
    attempts.set(r.key, list);
  }
  const followUpRows = await db.execute<{ key: string; at_ms: string }>(
    sql`select t.repo_full_name || '#' || t.issue_number as key,
               (extract(epoch from e.at) * 1000)::bigint::text as at_ms
        from events e join tasks t on t.id = e.task_id
        where t.kind = 'issue' and e.to_state = 'queued'
          and e.from_state in ('pr_open', 'needs_review', 'merging')`,
  );
  const followUps = new Map<string, number[]>();
  for (const r of followUpRows.rows) {
    followUps.set(r.key, [...(followUps.get(r.key) ?? []), Number(r.at_ms)]);
  }
  const pauseRows = await db.execute<{ repo: string; kind: string; at_ms: string }>(
    sql`select data->>'repo' as repo, kind, (extract(epoch from at) * 1000)::bigint::text as at_ms
        from events where kind in ('repo_paused', 'repo_resumed') order by id`,
  );
  const pauses: Array<{ repo: string; from: number; to: number | null }> = [];
  for (const r of pauseRows.rows) {
    if (r.kind === "repo_paused") pauses.push({ repo: r.repo, from: Number(r.at_ms), to: null });
    else {
      const open = pauses.findLast((p) => p.repo === r.repo && p.to === null);
      if (open) open.to = Number(r.at_ms);
    }
  }
  const refusedRows = await db.execute<{ repo: string; issue: number }>(
    sql`select data->>'repo' as repo, (data->>'issue')::int as issue from events where kind = 'refused'`,
  );
  const refused = new Set(refusedRows.rows.map((r) => `${r.repo}#${r.issue}`));
  const [adopted] = (
    await db.execute<{ n: string }>(
      sql`select count(*)::text as n from events where kind = 'adopted'`,
    )
  ).rows;
  return {
    tasks: latest,
    attempts,
    followUps,
    refused,
    adopted: Number(adopted?.n ?? 0),
    pausedRepos: Number(paused?.n ?? 0),
    pauses,
  };
}
