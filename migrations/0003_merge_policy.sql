CREATE TABLE "repo_states" (
	"repo_full_name" text PRIMARY KEY NOT NULL,
	"installation_id" bigint NOT NULL,
	"paused_at" timestamp with time zone,
	"paused_reason" text,
	"paused_by_task_id" bigint,
	"config_error_issue" integer,
	"config_errors" jsonb,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
DROP INDEX "tasks_one_active_per_issue";--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "kind" text DEFAULT 'issue' NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "work" text DEFAULT 'implement' NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "work_context" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "fix_attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "revert_of_task_id" bigint;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "revert_sha" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "head_sha" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "decision" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "decision_reason" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "policy_check_run_id" bigint;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "flagged_reason" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "checks_deadline_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "merge_sha" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "merged_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "verify_deadline_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "tasks_head_sha" ON "tasks" USING btree ("repo_full_name","head_sha");--> statement-breakpoint
CREATE INDEX "tasks_merge_sha" ON "tasks" USING btree ("repo_full_name","merge_sha");--> statement-breakpoint
CREATE INDEX "tasks_pr" ON "tasks" USING btree ("repo_full_name","pr_number");--> statement-breakpoint
CREATE UNIQUE INDEX "tasks_one_active_per_issue" ON "tasks" USING btree ("repo_full_name","issue_number") WHERE state in ('queued', 'running', 'retry_wait', 'pr_open', 'needs_review', 'merging') and kind = 'issue';