CREATE TABLE "reconciliation_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"connection_id" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone NOT NULL,
	"skus_compared" integer NOT NULL,
	"fbm_drift" integer NOT NULL,
	"fbm_corrected" integer NOT NULL,
	"fba_drift" integer NOT NULL,
	"sku_mismatches" integer NOT NULL,
	"report" jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "returns" ADD COLUMN "needs_attention" text;--> statement-breakpoint
ALTER TABLE "returns" ADD COLUMN "disposition" text;--> statement-breakpoint
ALTER TABLE "reconciliation_runs" ADD CONSTRAINT "reconciliation_runs_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "reconciliation_runs_connection" ON "reconciliation_runs" USING btree ("connection_id","finished_at");