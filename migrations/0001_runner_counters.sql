ALTER TABLE "runners" ADD COLUMN "claim_queries" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "runners" ADD COLUMN "wakeups" bigint DEFAULT 0 NOT NULL;