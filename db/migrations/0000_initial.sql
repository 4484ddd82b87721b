CREATE TABLE "catalogue_items" (
	"connection_id" text NOT NULL,
	"sku" text NOT NULL,
	"asin" text,
	"title" text,
	"product_type" text DEFAULT 'PRODUCT' NOT NULL,
	"fulfilment" text NOT NULL,
	"buffer" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "catalogue_items_connection_id_sku_pk" PRIMARY KEY("connection_id","sku"),
	CONSTRAINT "catalogue_fulfilment" CHECK ("catalogue_items"."fulfilment" in ('FBM','FBA','HYBRID')),
	CONSTRAINT "catalogue_buffer" CHECK ("catalogue_items"."buffer" >= 0),
	CONSTRAINT "catalogue_sku_not_blank" CHECK (length("catalogue_items"."sku") between 1 and 40)
);
--> statement-breakpoint
CREATE TABLE "channel_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"connection_id" text NOT NULL,
	"operation" text NOT NULL,
	"scope" text NOT NULL,
	"http_status" integer,
	"error_code" text,
	"error_type" text,
	"latency_ms" integer NOT NULL,
	"rate_limit_header" double precision,
	"waited_ms" integer DEFAULT 0 NOT NULL,
	"workflow_id" text
);
--> statement-breakpoint
CREATE TABLE "connections" (
	"id" text PRIMARY KEY NOT NULL,
	"seller_id" text NOT NULL,
	"region" text NOT NULL,
	"marketplace_ids" text[] NOT NULL,
	"api_kind" text DEFAULT 'SP_API' NOT NULL,
	"granted_scopes" text[] DEFAULT '{}'::text[] NOT NULL,
	"blocked_scopes" text[] DEFAULT '{}'::text[] NOT NULL,
	"status" text DEFAULT 'ACTIVE' NOT NULL,
	"refresh_token_enc" text,
	"download_rules" jsonb,
	"order_cursor" timestamp with time zone,
	"last_mws_order_at" timestamp with time zone,
	"fba_lag_acknowledged" boolean DEFAULT false NOT NULL,
	"feed_window" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "connections_region" CHECK ("connections"."region" in ('eu','na','fe')),
	CONSTRAINT "connections_api_kind" CHECK ("connections"."api_kind" in ('SP_API','MWS')),
	CONSTRAINT "connections_status" CHECK ("connections"."status" in ('ACTIVE','NEEDS_ATTENTION','MIGRATING','DISCONNECTED')),
	CONSTRAINT "connections_marketplaces" CHECK (cardinality("connections"."marketplace_ids") between 1 and 50),
	CONSTRAINT "connections_token_sealed" CHECK ("connections"."refresh_token_enc" is null or "connections"."refresh_token_enc" like 'enc:%')
);
--> statement-breakpoint
CREATE TABLE "feeds" (
	"id" text PRIMARY KEY NOT NULL,
	"connection_id" text NOT NULL,
	"amazon_feed_id" text,
	"skus" text[] NOT NULL,
	"status" text NOT NULL,
	"attempt" integer DEFAULT 1 NOT NULL,
	"summary" jsonb,
	"submitted_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "listing_changes" (
	"connection_id" text NOT NULL,
	"sku" text NOT NULL,
	"attributes" jsonb NOT NULL,
	"status" text DEFAULT 'QUEUED' NOT NULL,
	"feed_id" text,
	"message" text,
	"queued_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "listing_changes_connection_id_sku_pk" PRIMARY KEY("connection_id","sku"),
	CONSTRAINT "listing_changes_status" CHECK ("listing_changes"."status" in ('QUEUED','IN_FEED','ACCEPTED','REJECTED')),
	CONSTRAINT "listing_changes_no_quantity" CHECK (not ("listing_changes"."attributes" ? 'fulfillment_availability'))
);
--> statement-breakpoint
CREATE TABLE "oauth_states" (
	"state" text PRIMARY KEY NOT NULL,
	"connection_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "order_lines" (
	"marketplace_id" text NOT NULL,
	"amazon_order_id" text NOT NULL,
	"order_item_id" text NOT NULL,
	"sku" text NOT NULL,
	"asin" text,
	"quantity_ordered" integer NOT NULL,
	"quantity_shipped" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "order_lines_marketplace_id_amazon_order_id_order_item_id_pk" PRIMARY KEY("marketplace_id","amazon_order_id","order_item_id"),
	CONSTRAINT "order_lines_quantity" CHECK ("order_lines"."quantity_ordered" > 0 and "order_lines"."quantity_shipped" between 0 and "order_lines"."quantity_ordered")
);
--> statement-breakpoint
CREATE TABLE "orders" (
	"marketplace_id" text NOT NULL,
	"amazon_order_id" text NOT NULL,
	"connection_id" text NOT NULL,
	"fulfilled_by" text NOT NULL,
	"amazon_status" text NOT NULL,
	"state" text NOT NULL,
	"needs_attention" text,
	"purchased_at" timestamp with time zone NOT NULL,
	"amazon_updated_at" timestamp with time zone NOT NULL,
	"latest_ship_date" timestamp with time zone,
	"recipient_enc" text,
	"pii_purged_at" timestamp with time zone,
	"shipped_at" timestamp with time zone,
	"downloaded_via" text DEFAULT 'POLL' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "orders_marketplace_id_amazon_order_id_pk" PRIMARY KEY("marketplace_id","amazon_order_id"),
	CONSTRAINT "orders_fulfilled_by" CHECK ("orders"."fulfilled_by" in ('AMAZON','MERCHANT')),
	CONSTRAINT "orders_id_format" CHECK ("orders"."amazon_order_id" ~ '^[0-9]{3}-[0-9]{7}-[0-9]{7}$'),
	CONSTRAINT "orders_downloaded_via" CHECK ("orders"."downloaded_via" in ('POLL','NOTIFICATION','BACKFILL'))
);
--> statement-breakpoint
CREATE TABLE "rate_buckets" (
	"connection_id" text NOT NULL,
	"operation" text NOT NULL,
	"tokens" double precision NOT NULL,
	"rate_per_second" double precision NOT NULL,
	"burst" double precision NOT NULL,
	"refilled_at" timestamp (6) with time zone NOT NULL,
	CONSTRAINT "rate_buckets_connection_id_operation_pk" PRIMARY KEY("connection_id","operation"),
	CONSTRAINT "rate_buckets_positive" CHECK ("rate_buckets"."rate_per_second" > 0 and "rate_buckets"."burst" >= 1)
);
--> statement-breakpoint
CREATE TABLE "returns" (
	"id" text PRIMARY KEY NOT NULL,
	"connection_id" text NOT NULL,
	"amazon_order_id" text NOT NULL,
	"sku" text NOT NULL,
	"quantity" integer NOT NULL,
	"channel" text NOT NULL,
	"status" text DEFAULT 'AWAITING_INSPECTION' NOT NULL,
	"decision" text,
	"returned_at" timestamp with time zone NOT NULL,
	"decided_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "returns_quantity" CHECK ("returns"."quantity" > 0),
	CONSTRAINT "returns_channel" CHECK ("returns"."channel" in ('FBM','FBA')),
	CONSTRAINT "returns_status" CHECK ("returns"."status" in ('AWAITING_INSPECTION','RESTOCKED','DISPOSED','RECORDED'))
);
--> statement-breakpoint
CREATE TABLE "shipments" (
	"marketplace_id" text NOT NULL,
	"amazon_order_id" text NOT NULL,
	"package_reference_id" text NOT NULL,
	"carrier_code" text NOT NULL,
	"carrier_name" text,
	"shipping_method" text,
	"tracking_number" text NOT NULL,
	"ship_date" timestamp with time zone NOT NULL,
	"lines" jsonb NOT NULL,
	"confirmed_at" timestamp with time zone,
	"verified_shipped_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "shipments_marketplace_id_amazon_order_id_package_reference_id_pk" PRIMARY KEY("marketplace_id","amazon_order_id","package_reference_id"),
	CONSTRAINT "shipments_tracking" CHECK (length(trim("shipments"."tracking_number")) > 0)
);
--> statement-breakpoint
CREATE TABLE "stock_ledger" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"connection_id" text NOT NULL,
	"sku" text NOT NULL,
	"pool" text NOT NULL,
	"kind" text NOT NULL,
	"on_hand_delta" integer DEFAULT 0 NOT NULL,
	"allocated_delta" integer DEFAULT 0 NOT NULL,
	"idempotency_key" text NOT NULL,
	"reason" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stock_ledger_pool" CHECK ("stock_ledger"."pool" in ('FBM','FBA')),
	CONSTRAINT "stock_ledger_kind" CHECK ("stock_ledger"."kind" in ('ADJUST','ALLOCATE','RELEASE','DESPATCH','RETURN_RESTOCK','FBA_REPORT','FBA_RETURN','FBA_SALE'))
);
--> statement-breakpoint
CREATE TABLE "stock_pools" (
	"connection_id" text NOT NULL,
	"sku" text NOT NULL,
	"pool" text NOT NULL,
	"on_hand" integer DEFAULT 0 NOT NULL,
	"allocated" integer DEFAULT 0 NOT NULL,
	"fba_inbound" integer DEFAULT 0 NOT NULL,
	"fba_reserved" integer DEFAULT 0 NOT NULL,
	"fba_unfulfillable" integer DEFAULT 0 NOT NULL,
	"reported_at" timestamp with time zone,
	"synced_at" timestamp with time zone,
	"last_pushed_quantity" integer,
	"last_pushed_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stock_pools_connection_id_sku_pool_pk" PRIMARY KEY("connection_id","sku","pool"),
	CONSTRAINT "stock_pool_kind" CHECK ("stock_pools"."pool" in ('FBM','FBA')),
	CONSTRAINT "stock_on_hand_non_negative" CHECK ("stock_pools"."on_hand" >= 0),
	CONSTRAINT "stock_allocated_non_negative" CHECK ("stock_pools"."allocated" >= 0),
	CONSTRAINT "stock_no_oversell" CHECK ("stock_pools"."allocated" <= "stock_pools"."on_hand"),
	CONSTRAINT "stock_fba_has_no_allocation" CHECK ("stock_pools"."pool" = 'FBM' or "stock_pools"."allocated" = 0)
);
--> statement-breakpoint
ALTER TABLE "catalogue_items" ADD CONSTRAINT "catalogue_items_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oauth_states" ADD CONSTRAINT "oauth_states_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_lines" ADD CONSTRAINT "order_lines_marketplace_id_amazon_order_id_orders_marketplace_id_amazon_order_id_fk" FOREIGN KEY ("marketplace_id","amazon_order_id") REFERENCES "public"."orders"("marketplace_id","amazon_order_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "shipments" ADD CONSTRAINT "shipments_marketplace_id_amazon_order_id_orders_marketplace_id_amazon_order_id_fk" FOREIGN KEY ("marketplace_id","amazon_order_id") REFERENCES "public"."orders"("marketplace_id","amazon_order_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stock_pools" ADD CONSTRAINT "stock_pools_connection_id_sku_catalogue_items_connection_id_sku_fk" FOREIGN KEY ("connection_id","sku") REFERENCES "public"."catalogue_items"("connection_id","sku") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "channel_log_connection_at" ON "channel_log" USING btree ("connection_id","at");--> statement-breakpoint
CREATE INDEX "channel_log_operation" ON "channel_log" USING btree ("operation","at");--> statement-breakpoint
CREATE UNIQUE INDEX "connections_seller_region" ON "connections" USING btree ("seller_id","region");--> statement-breakpoint
CREATE INDEX "feeds_connection" ON "feeds" USING btree ("connection_id","status");--> statement-breakpoint
CREATE INDEX "orders_connection_state" ON "orders" USING btree ("connection_id","state");--> statement-breakpoint
CREATE UNIQUE INDEX "stock_ledger_idempotency" ON "stock_ledger" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "stock_ledger_sku" ON "stock_ledger" USING btree ("connection_id","sku");