CREATE TABLE "sku_feed_locks" (
	"connection_id" text NOT NULL,
	"sku" text NOT NULL,
	"holder" text NOT NULL,
	"feed_id" text,
	"pushing" boolean DEFAULT false NOT NULL,
	"since" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sku_feed_locks_connection_id_sku_pk" PRIMARY KEY("connection_id","sku"),
	CONSTRAINT "sku_feed_locks_holder" CHECK ("sku_feed_locks"."holder" in ('FEED','PUSH')),
	CONSTRAINT "sku_feed_locks_feed_named" CHECK (("sku_feed_locks"."holder" = 'FEED') = ("sku_feed_locks"."feed_id" is not null))
);
--> statement-breakpoint
ALTER TABLE "listing_changes" ADD COLUMN "attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "sku_feed_locks_feed" ON "sku_feed_locks" USING btree ("feed_id");