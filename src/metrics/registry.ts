import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/**
 * Every metric the fleet exposes on /metrics, in its own registry (plus Node's default process
 * metrics). Counters count what this process did, so a sum over instances is the fleet's total.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

const registers = [registry];

// Read from the database at scrape time (see route.ts).
export const tasksByState = new Gauge({
  name: "fleet_tasks",
  help: "Tasks in each state, read from the database at scrape time.",
  labelNames: ["state"] as const,
  registers,
});

export const pausedRepos = new Gauge({
  name: "fleet_repos_paused",
  help: "Repositories paused after a red default branch, read from the database at scrape time.",
  registers,
});

export const databaseUp = new Gauge({
  name: "fleet_database_up",
  help: "1 when the database answered the last scrape's queries, else 0.",
  registers,
});

// Driven by the events rows this process writes (see observe-event.ts).
export const eventsWritten = new Counter({
  name: "fleet_events_total",
  help: "Task events written by this process, by kind.",
  labelNames: ["kind"] as const,
  registers,
});

export const tasksEnqueued = new Counter({
  name: "fleet_tasks_enqueued_total",
  help: "Tasks created: issue tasks from the trigger label, revert tasks after a red merge.",
  labelNames: ["kind"] as const,
  registers,
});

export const dispatches = new Counter({
  name: "fleet_dispatches_total",
  help: "Agents started, by the work they were started for.",
  labelNames: ["work"] as const,
  registers,
});

export const attemptsStalled = new Counter({
  name: "fleet_attempts_stalled_total",
  help: "Attempts ended because the agent gave no status signal within agent.stallTimeout.",
  registers,
});

export const attemptsTimedOut = new Counter({
  name: "fleet_attempts_timed_out_total",
  help: "Attempts ended because the agent ran past agent.timeout.",
  registers,
});

export const attemptsCrashed = new Counter({
  name: "fleet_attempts_crashed_total",
  help: "Attempts whose agent exited with a non-zero status.",
  registers,
});

export const attemptsLost = new Counter({
  name: "fleet_attempts_lost_total",
  help: "Attempts whose agent was gone: found by its own runner, or taken over from a dead one.",
  labelNames: ["via"] as const,
  registers,
});

export const agentsAdopted = new Counter({
  name: "fleet_agents_adopted_total",
  help: "Live agents a restarted runner adopted.",
  registers,
});

export const merges = new Counter({
  name: "fleet_merges_total",
  help: "Fleet pull requests merged, by the fleet or by a human.",
  labelNames: ["by"] as const,
  registers,
});

export const pullsFlagged = new Counter({
  name: "fleet_pulls_flagged_total",
  help: "Times a pull request was handed to humans (needs review with a reason).",
  registers,
});

export const reverts = new Counter({
  name: "fleet_reverts_total",
  help: "Merges reverted because the default branch's CI failed on them.",
  registers,
});

// Observed in the runner.
export const attemptDuration = new Histogram({
  name: "fleet_attempt_duration_seconds",
  help: "Wall time of finished attempts, from claim to end, by outcome.",
  labelNames: ["outcome"] as const,
  buckets: [5, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 7200],
  registers,
});

export const queueLatency = new Histogram({
  name: "fleet_queue_latency_seconds",
  help: "Time from a task's creation (the trigger label) to its first agent start.",
  buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
  registers,
});

export const runnerWakeups = new Counter({
  name: "fleet_runner_wakeups_total",
  help: "Times a runner woke to claim work, by reason (notify, sweep, start, ...).",
  labelNames: ["reason"] as const,
  registers,
});

export const runnerClaimQueries = new Counter({
  name: "fleet_runner_claim_queries_total",
  help: "Claim queries a runner ran.",
  registers,
});

export const deadlineSweeps = new Counter({
  name: "fleet_deadline_sweeps_total",
  help: "Sweeps of the policy's deadlines (pending checks, post-merge verification), by result.",
  labelNames: ["result"] as const,
  registers,
});

// At the edges: GitHub's API and its webhooks.
export const githubRequests = new Counter({
  name: "fleet_github_requests_total",
  help: "GitHub API calls, by method and endpoint template, and response status (error: none).",
  labelNames: ["route", "status"] as const,
  registers,
});

export const webhookRedeliveries = new Counter({
  name: "fleet_webhook_redeliveries_total",
  help: "Missed webhook deliveries the sweep asked GitHub to redeliver, by result (requested, failed, given_up).",
  labelNames: ["result"] as const,
  registers,
});

export const webhooksReceived = new Counter({
  name: "fleet_webhooks_received_total",
  help: "Verified webhook deliveries, by event.",
  labelNames: ["event"] as const,
  registers,
});
