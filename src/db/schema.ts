import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { ACTIVE_STATES, type TaskState } from "./task-states.js";

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

/** `state in (...active)`: the predicate of the one-active-task-per-issue index. */
export const activeStatePredicate = sql.raw(
  `state in (${ACTIVE_STATES.map((s) => `'${s}'`).join(", ")}) and kind = 'issue'`,
);

/** An issue task implements an issue; a revert task undoes a merge whose post-merge CI failed. */
export type TaskKind = "issue" | "revert";

/**
 * What the next claim of a queued task does:
 * - implement: a first agent attempt (or a retry of one) from the issue;
 * - fix: an agent attempt on the PR branch, its prompt carrying failed checks or review comments;
 * - rebase: the runner rebases the PR branch onto the base, no agent;
 * - resolve_conflict: an agent attempt to resolve the conflict a rebase could not;
 * - revert: the runner reverts `revert_sha` on a fresh branch and opens the revert PR.
 */
export type TaskWork = "implement" | "fix" | "rebase" | "resolve_conflict" | "revert";

export const tasks = pgTable(
  "tasks",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    repoFullName: text("repo_full_name").notNull(),
    repoId: bigint("repo_id", { mode: "number" }).notNull(),
    installationId: bigint("installation_id", { mode: "number" }).notNull(),
    issueNumber: integer("issue_number").notNull(),
    issueTitle: text("issue_title").notNull(),
    issueBody: text("issue_body").notNull(),
    defaultBranch: text("default_branch").notNull(),
    cloneUrl: text("clone_url").notNull(),
    requestedBy: text("requested_by").notNull(),
    state: text("state").$type<TaskState>().notNull(),
    priority: integer("priority").notNull().default(0),
    /** Number of attempts started. */
    attempt: integer("attempt").notNull().default(0),
    /** `attempt` when a human last asked for a retry: the attempt budget counts from here. */
    attemptBase: integer("attempt_base").notNull().default(0),
    runAfter: tstz("run_after").notNull().defaultNow(),
    leaseOwner: text("lease_owner"),
    leaseToken: uuid("lease_token"),
    leaseExpiresAt: tstz("lease_expires_at"),
    branch: text("branch"),
    prNumber: integer("pr_number"),
    prUrl: text("pr_url"),
    /** Snapshot of the repo's fleet.yml at enqueue time. */
    config: jsonb("config").$type<Record<string, unknown>>().notNull().default({}),
    lastError: text("last_error"),
    kind: text("kind").$type<TaskKind>().notNull().default("issue"),
    work: text("work").$type<TaskWork>().notNull().default("implement"),
    /** Markdown for the next agent prompt: failed checks, review comments or the conflict. */
    workContext: text("work_context"),
    /** Agent attempts started to fix the PR (failed checks, requested changes, conflicts). */
    fixAttempts: integer("fix_attempts").notNull().default(0),
    /** A revert task: the task whose merge it undoes, and the commit to revert. */
    revertOfTaskId: bigint("revert_of_task_id", { mode: "number" }),
    revertSha: text("revert_sha"),
    /** The PR head the policy last judged, its decision and the fleet/policy check run. */
    headSha: text("head_sha"),
    decision: text("decision"),
    decisionReason: text("decision_reason"),
    policyCheckRunId: bigint("policy_check_run_id", { mode: "number" }),
    /** Why humans must look at the PR; null while the fleet still handles it. */
    flaggedReason: text("flagged_reason"),
    /** Pending required checks are flagged at this time (policy.checksTimeout). */
    checksDeadlineAt: tstz("checks_deadline_at"),
    mergeSha: text("merge_sha"),
    mergedAt: tstz("merged_at"),
    /** Post-merge CI with no result by this time counts as verified (policy.postMerge.timeout). */
    verifyDeadlineAt: tstz("verify_deadline_at"),
    createdAt: tstz("created_at").notNull().defaultNow(),
    updatedAt: tstz("updated_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("tasks_one_active_per_issue")
      .on(t.repoFullName, t.issueNumber)
      .where(activeStatePredicate),
    // Leading with state then the claim order lets `state = 'queued' order by priority desc, id
    // limit 1` walk the index and stop at the first claimable row instead of sorting the queue.
    index("tasks_claim_order").on(t.state, t.priority.desc(), t.id),
    // Keeps the per-repo running count inside the claim a tiny lookup.
    index("tasks_running_by_repo").on(t.repoFullName).where(sql`state = 'running'`),
    // The policy finds a task from a check or status event by the PR head or the merge commit.
    index("tasks_head_sha").on(t.repoFullName, t.headSha),
    index("tasks_merge_sha").on(t.repoFullName, t.mergeSha),
    index("tasks_pr").on(t.repoFullName, t.prNumber),
  ],
);

export const attempts = pgTable(
  "attempts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    taskId: bigint("task_id", { mode: "number" })
      .notNull()
      .references(() => tasks.id, { onDelete: "cascade" }),
    number: integer("number").notNull(),
    runnerId: text("runner_id").notNull(),
    leaseToken: uuid("lease_token").notNull(),
    state: text("state").$type<"running" | "finished">().notNull().default("running"),
    outcome: text("outcome"),
    pid: integer("pid"),
    /** Field 22 of /proc/<pid>/stat: with the pid, identifies the process across pid reuse. */
    pidStartTime: bigint("pid_start_time", { mode: "bigint" }),
    dir: text("dir"),
    exitCode: integer("exit_code"),
    signal: text("signal"),
    startedAt: tstz("started_at").notNull().defaultNow(),
    endedAt: tstz("ended_at"),
    lastHeartbeatAt: tstz("last_heartbeat_at"),
    /** What the agent reported of itself (stream-json, codex --json): cost, turns, final text. */
    costUsd: doublePrecision("cost_usd"),
    turns: integer("turns"),
    resultText: text("result_text"),
    /** The redacted last lines of the agent's output, kept for the dashboard. */
    logTail: text("log_tail"),
  },
  (t) => [uniqueIndex("attempts_task_number").on(t.taskId, t.number)],
);

export const webhookDeliveries = pgTable("webhook_deliveries", {
  deliveryId: text("delivery_id").primaryKey(),
  event: text("event").notNull(),
  action: text("action"),
  receivedAt: tstz("received_at").notNull().defaultNow(),
});

export const events = pgTable(
  "events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    taskId: bigint("task_id", { mode: "number" }).references(() => tasks.id, {
      onDelete: "cascade",
    }),
    attemptId: bigint("attempt_id", { mode: "number" }).references(() => attempts.id, {
      onDelete: "cascade",
    }),
    kind: text("kind").notNull(),
    fromState: text("from_state").$type<TaskState>(),
    toState: text("to_state").$type<TaskState>(),
    data: jsonb("data").$type<Record<string, unknown>>().notNull().default({}),
    at: tstz("at").notNull().defaultNow(),
  },
  // The report and the metrics read events by time window.
  (t) => [index("events_task_id").on(t.taskId), index("events_at").on(t.at)],
);

export const runners = pgTable("runners", {
  id: text("id").primaryKey(),
  hostname: text("hostname").notNull(),
  pid: integer("pid").notNull(),
  capacity: integer("capacity").notNull(),
  startedAt: tstz("started_at").notNull().defaultNow(),
  heartbeatAt: tstz("heartbeat_at").notNull().defaultNow(),
  leaseExpiresAt: tstz("lease_expires_at").notNull(),
  state: text("state").$type<"active" | "stopped">().notNull().default("active"),
  // Counters flushed with each lease renewal, so the cost of an idle fleet can be measured.
  claimQueries: bigint("claim_queries", { mode: "number" }).notNull().default(0),
  wakeups: bigint("wakeups", { mode: "number" }).notNull().default(0),
});

/** Per-repository state the fleet keeps: a pause after a red default branch, a broken config. */
export const repoStates = pgTable("repo_states", {
  repoFullName: text("repo_full_name").primaryKey(),
  installationId: bigint("installation_id", { mode: "number" }).notNull(),
  pausedAt: tstz("paused_at"),
  pausedReason: text("paused_reason"),
  pausedByTaskId: bigint("paused_by_task_id", { mode: "number" }),
  /** The open "agent-fleet configuration error" issue, while the default branch's config is bad. */
  configErrorIssue: integer("config_error_issue"),
  configErrors:
    jsonb("config_errors").$type<Array<{ path: string; message: string; line: number | null }>>(),
  /** The repo's "agent-fleet dashboard" issue and the body last written to it. */
  dashboardIssue: integer("dashboard_issue"),
  dashboardBodyHash: text("dashboard_body_hash"),
  /** When the morning report of this repo was last posted (report.post). */
  reportPostedAt: tstz("report_posted_at"),
  updatedAt: tstz("updated_at").notNull().defaultNow(),
});

/**
 * One row per infrastructure failure cause seen by the report (report.fileIssues): the
 * fingerprint keeps a recurring cause to the one issue filed for it.
 */
export const failureCauses = pgTable("failure_causes", {
  fingerprint: text("fingerprint").primaryKey(),
  cause: text("cause").notNull(),
  /** The repo the issue was filed in, and its number; null until filed. */
  issueRepo: text("issue_repo"),
  issueNumber: integer("issue_number"),
  occurrences: integer("occurrences").notNull().default(0),
  firstSeenAt: tstz("first_seen_at").notNull().defaultNow(),
  lastSeenAt: tstz("last_seen_at").notNull().defaultNow(),
});

export type Task = typeof tasks.$inferSelect;
export type NewTask = typeof tasks.$inferInsert;
export type Attempt = typeof attempts.$inferSelect;
export type Event = typeof events.$inferSelect;
export type Runner = typeof runners.$inferSelect;
export type RepoState = typeof repoStates.$inferSelect;
export type FailureCause = typeof failureCauses.$inferSelect;
export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;
