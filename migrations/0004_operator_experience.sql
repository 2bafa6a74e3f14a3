CREATE TABLE "failure_causes" (
	"fingerprint" text PRIMARY KEY NOT NULL,
	"cause" text NOT NULL,
	"issue_repo" text,
	"issue_number" integer,
	"occurrences" integer DEFAULT 0 NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "attempts" ADD COLUMN "cost_usd" double precision;--> statement-breakpoint
ALTER TABLE "attempts" ADD COLUMN "turns" integer;--> statement-breakpoint
ALTER TABLE "attempts" ADD COLUMN "result_text" text;--> statement-breakpoint
ALTER TABLE "attempts" ADD COLUMN "log_tail" text;--> statement-breakpoint
ALTER TABLE "repo_states" ADD COLUMN "dashboard_issue" integer;--> statement-breakpoint
ALTER TABLE "repo_states" ADD COLUMN "dashboard_body_hash" text;--> statement-breakpoint
ALTER TABLE "repo_states" ADD COLUMN "report_posted_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "events_at" ON "events" USING btree ("at");