CREATE TABLE "attempts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"task_id" bigint NOT NULL,
	"number" integer NOT NULL,
	"runner_id" text NOT NULL,
	"lease_token" uuid NOT NULL,
	"state" text DEFAULT 'running' NOT NULL,
	"outcome" text,
	"pid" integer,
	"pid_start_time" bigint,
	"dir" text,
	"exit_code" integer,
	"signal" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	"last_heartbeat_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"task_id" bigint,
	"attempt_id" bigint,
	"kind" text NOT NULL,
	"from_state" text,
	"to_state" text,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "runners" (
	"id" text PRIMARY KEY NOT NULL,
	"hostname" text NOT NULL,
	"pid" integer NOT NULL,
	"capacity" integer NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_expires_at" timestamp with time zone NOT NULL,
	"state" text DEFAULT 'active' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tasks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"repo_full_name" text NOT NULL,
	"repo_id" bigint NOT NULL,
	"installation_id" bigint NOT NULL,
	"issue_number" integer NOT NULL,
	"issue_title" text NOT NULL,
	"issue_body" text NOT NULL,
	"default_branch" text NOT NULL,
	"clone_url" text NOT NULL,
	"requested_by" text NOT NULL,
	"state" text NOT NULL,
	"priority" integer DEFAULT 0 NOT NULL,
	"attempt" integer DEFAULT 0 NOT NULL,
	"run_after" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_owner" text,
	"lease_token" uuid,
	"lease_expires_at" timestamp with time zone,
	"branch" text,
	"pr_number" integer,
	"pr_url" text,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"delivery_id" text PRIMARY KEY NOT NULL,
	"event" text NOT NULL,
	"action" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "attempts" ADD CONSTRAINT "attempts_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_attempt_id_attempts_id_fk" FOREIGN KEY ("attempt_id") REFERENCES "public"."attempts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "attempts_task_number" ON "attempts" USING btree ("task_id","number");--> statement-breakpoint
CREATE INDEX "events_task_id" ON "events" USING btree ("task_id");--> statement-breakpoint
CREATE UNIQUE INDEX "tasks_one_active_per_issue" ON "tasks" USING btree ("repo_full_name","issue_number") WHERE state in ('queued', 'running', 'retry_wait', 'pr_open', 'needs_review', 'merging');--> statement-breakpoint
CREATE INDEX "tasks_claim_order" ON "tasks" USING btree ("state","priority" DESC NULLS LAST,"id");--> statement-breakpoint
CREATE INDEX "tasks_running_by_repo" ON "tasks" USING btree ("repo_full_name") WHERE state = 'running';