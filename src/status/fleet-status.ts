import { sql } from "drizzle-orm";
import { textTable } from "../cli/text-table.js";
import { formatDuration } from "../config/durations.js";
import { agentSchema, DEFAULT_FLEET_CONFIG } from "../config/fleet-config.js";
import type { DbOrTx } from "../db/client.js";
import { TASK_STATES, type TaskState } from "../db/task-states.js";

export interface RunningAttempt {
  taskId: number;
  repo: string;
  issue: number;
  attempt: number;
  runner: string;
  ageMs: number;
  /** ms since the agent's last heartbeat; null before the first one. */
  heartbeatAgeMs: number | null;
  /** The attempt's wall-clock limit (`agent.timeout` of the task's fleet.yml snapshot), in ms. */
  timeoutMs: number;
}

export interface RunnerLease {
  id: string;
  hostname: string;
  pid: number;
  capacity: number;
  state: string;
  /** Positive while the lease holds, negative once it lapsed. */
  leaseLeftMs: number;
}

export interface FleetStatus {
  tasksByState: Record<TaskState, number>;
  running: RunningAttempt[];
  runners: RunnerLease[];
  pausedRepos: Array<{ repo: string; sinceMs: number; reason: string | null }>;
  brokenConfigs: Array<{ repo: string; issue: number | null }>;
}

/** What `fleet status` shows, read in a few queries; ages come from the database's clock. */
export async function collectStatus(db: DbOrTx): Promise<FleetStatus> {
  const counts = await db.execute<{ state: TaskState; n: number }>(
    sql`select state, count(*)::int as n from tasks group by state`,
  );
  const tasksByState = Object.fromEntries(TASK_STATES.map((s) => [s, 0])) as Record<
    TaskState,
    number
  >;
  for (const row of counts.rows) tasksByState[row.state] = row.n;

  const running = await db.execute<{
    task_id: number;
    repo: string;
    issue: number;
    attempt: number;
    runner: string;
    age_ms: number;
    heartbeat_age_ms: number | null;
    timeout: unknown;
  }>(sql`select t.id::int as task_id, t.repo_full_name as repo, t.issue_number as issue,
                a.number as attempt, a.runner_id as runner,
                (extract(epoch from now() - a.started_at) * 1000)::int as age_ms,
                (extract(epoch from now() - a.last_heartbeat_at) * 1000)::int as heartbeat_age_ms,
                t.config->'agent'->'timeout' as timeout
         from attempts a join tasks t on t.id = a.task_id
         where a.state = 'running' order by a.started_at`);

  const runners = await db.execute<{
    id: string;
    hostname: string;
    pid: number;
    capacity: number;
    state: string;
    lease_left_ms: number;
  }>(sql`select id, hostname, pid, capacity, state,
                (extract(epoch from lease_expires_at - now()) * 1000)::int as lease_left_ms
         from runners order by id`);

  const repos = await db.execute<{
    repo: string;
    paused_ms: number | null;
    reason: string | null;
    broken: boolean;
    issue: number | null;
  }>(sql`select repo_full_name as repo,
                (extract(epoch from now() - paused_at) * 1000)::int as paused_ms,
                paused_reason as reason, config_errors is not null as broken,
                config_error_issue as issue
         from repo_states where paused_at is not null or config_errors is not null
         order by repo_full_name`);

  return {
    tasksByState,
    running: running.rows.map((r) => ({
      taskId: r.task_id,
      repo: r.repo,
      issue: r.issue,
      attempt: r.attempt,
      runner: r.runner,
      ageMs: r.age_ms,
      heartbeatAgeMs: r.heartbeat_age_ms,
      timeoutMs: agentTimeoutMs(r.timeout),
    })),
    runners: runners.rows.map((r) => ({
      id: r.id,
      hostname: r.hostname,
      pid: r.pid,
      capacity: r.capacity,
      state: r.state,
      leaseLeftMs: r.lease_left_ms,
    })),
    pausedRepos: repos.rows
      .filter((r) => r.paused_ms !== null)
      .map((r) => ({ repo: r.repo, sinceMs: r.paused_ms ?? 0, reason: r.reason })),
    brokenConfigs: repos.rows
      .filter((r) => r.broken)
      .map((r) => ({ repo: r.repo, issue: r.issue })),
  };
}

/** The snapshot's timeout as the runner reads it: ms, a duration text, or the default. */
function agentTimeoutMs(value: unknown): number {
  const parsed = agentSchema.shape.timeout.safeParse(value ?? undefined);
  return parsed.success ? parsed.data : DEFAULT_FLEET_CONFIG.agent.timeout;
}

/** The status as plain-text tables for a terminal. */
export function formatStatus(status: FleetStatus): string {
  const states = TASK_STATES.filter((s) => status.tasksByState[s] > 0);
  const sections = [
    "tasks",
    states.length
      ? textTable(
          ["state", "count"],
          states.map((s) => [s, String(status.tasksByState[s])]),
        )
      : "  none",
    "",
    "running agents",
    status.running.length
      ? textTable(
          ["task", "issue", "attempt", "runner", "age", "last heartbeat"],
          status.running.map((r) => [
            String(r.taskId),
            `${r.repo}#${r.issue}`,
            String(r.attempt),
            r.runner,
            formatDuration(r.ageMs),
            r.heartbeatAgeMs === null ? "none yet" : `${formatDuration(r.heartbeatAgeMs)} ago`,
          ]),
        )
      : "  none",
    "",
    "runners",
    status.runners.length
      ? textTable(
          ["runner", "host", "pid", "capacity", "state", "lease"],
          status.runners.map((r) => [
            r.id,
            r.hostname,
            String(r.pid),
            String(r.capacity),
            r.state,
            r.leaseLeftMs >= 0
              ? `${formatDuration(r.leaseLeftMs)} left`
              : `lapsed ${formatDuration(-r.leaseLeftMs)} ago`,
          ]),
        )
      : "  none",
  ];
  if (status.pausedRepos.length) {
    sections.push(
      "",
      "paused repos",
      textTable(
        ["repo", "paused for", "reason"],
        status.pausedRepos.map((p) => [p.repo, formatDuration(p.sinceMs), p.reason ?? ""]),
      ),
    );
  }
  if (status.brokenConfigs.length) {
    sections.push(
      "",
      "repos with an invalid fleet.yml (nothing dispatched)",
      textTable(
        ["repo", "issue"],
        status.brokenConfigs.map((b) => [b.repo, b.issue === null ? "" : `#${b.issue}`]),
      ),
    );
  }
  return sections.join("\n");
}
