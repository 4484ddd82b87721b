/**
 * Activities of the MWS → SP-API migration: read the connection's legacy facts, stop legacy
 * polling, list the orders of the backfill window (each is then handed over by the orders
 * activity `fetchAndHandOffOrder` with via BACKFILL, so an order already known is a no-op),
 * and switch the row to SP-API with its schedules running.
 */
import { ScheduleNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, sql } from 'drizzle-orm';
import { schema } from '../db/client';
import { DEFAULT_DOWNLOAD_RULES, FULFILLMENT_STATUSES, searchFilterFor, searchWindowFor, type DownloadRules, type FulfillmentStatus, type SearchOrdersFilter } from '../domain/routing';
import { asActivityFailure } from '../spapi/temporal';
import { INITIAL_LOOKBACK_MINUTES, DOWNLOAD_OVERLAP_MINUTES } from '../workflows/contracts/orders';
import { MIGRATION_PAUSE_NOTE_PREFIX } from '../workflows/contracts/migration';
import { scheduleId } from '../workflows/contracts/schedules';
import type { ActivityDeps } from './deps';
import { ensureOrderDownloadSchedule } from './orders';

export interface MigrationFacts {
  connectionId: string;
  apiKind: 'SP_API' | 'MWS';
  status: string;
  /** The last order MWS delivered, if known. */
  lastMwsOrderAt: string | null;
  orderCursor: string | null;
}

export interface BackfillPlan {
  connectionId: string;
  window: { lastUpdatedAfter: string; lastUpdatedBefore: string };
  marketplaceIds: string[];
  filter: SearchOrdersFilter;
}

const ORDER_ID_FIELDS = (o: { orderId: string; salesChannel?: { marketplaceId?: string } }, fallback: string) => ({
  marketplaceId: o.salesChannel?.marketplaceId ?? fallback,
  amazonOrderId: o.orderId,
});

/** connections.download_rules as DownloadRules: absent → the guide's default; unknown statuses are dropped (so a broken rule shows as a routing problem). */
export function downloadRulesOf(value: unknown): DownloadRules {
  if (!value || typeof value !== 'object') return DEFAULT_DOWNLOAD_RULES;
  const v = value as { fbmStatuses?: unknown; fbaStatuses?: unknown };
  const statuses = (x: unknown): FulfillmentStatus[] =>
    Array.isArray(x) ? x.filter((s): s is FulfillmentStatus => (FULFILLMENT_STATUSES as readonly string[]).includes(String(s))) : [];
  return {
    fbmStatuses: v.fbmStatuses === undefined ? DEFAULT_DOWNLOAD_RULES.fbmStatuses : statuses(v.fbmStatuses),
    fbaStatuses: v.fbaStatuses === 'ALL' || v.fbaStatuses === undefined ? 'ALL' : statuses(v.fbaStatuses),
  };
}

export function createMigrationActivities(deps: ActivityDeps) {
  const { db, log } = deps;

  async function row(connectionId: string) {
    const [r] = await db.select().from(schema.connections).where(eq(schema.connections.id, connectionId));
    if (!r) throw ApplicationFailure.nonRetryable(`Unknown connection "${connectionId}"`, 'UnknownConnection');
    return r;
  }

  return {
    /** What the migration needs to know about the connection before it touches anything. */
    async loadMigrationFacts(connectionId: string): Promise<MigrationFacts> {
      const r = await row(connectionId);
      return {
        connectionId,
        apiKind: r.apiKind === 'MWS' ? 'MWS' : 'SP_API',
        status: r.status,
        lastMwsOrderAt: r.lastMwsOrderAt ? r.lastMwsOrderAt.toISOString() : null,
        orderCursor: r.orderCursor ? r.orderCursor.toISOString() : null,
      };
    },

    /** Marks the row MIGRATING (the connection workflow leaves that status alone); idempotent. */
    async markMigrating(connectionId: string): Promise<void> {
      await db
        .update(schema.connections)
        .set({ status: 'MIGRATING', updatedAt: deps.clock() })
        .where(and(eq(schema.connections.id, connectionId), eq(schema.connections.apiKind, 'MWS')));
    },

    /** Pauses the connection's order-download schedule (legacy polling) with the migration's note; a missing schedule is fine. */
    async pauseLegacyPolling(connectionId: string): Promise<{ scheduleId: string; existed: boolean }> {
      const id = scheduleId('order-download', connectionId);
      const handle = deps.workflowClient.schedule.getHandle(id);
      try {
        const description = await handle.describe();
        if (!description.state.paused || !description.state.note?.startsWith(MIGRATION_PAUSE_NOTE_PREFIX)) {
          await handle.pause(`${MIGRATION_PAUSE_NOTE_PREFIX} Legacy MWS polling stopped while ${connectionId} moves to SP-API (workflow mws-migration:${connectionId}).`);
        }
        log.info('legacy order polling paused', { connectionId, scheduleId: id });
        return { scheduleId: id, existed: true };
      } catch (err) {
        if (err instanceof ScheduleNotFoundError) return { scheduleId: id, existed: false };
        throw err;
      }
    },

    /** The backfill window: from the last order MWS delivered minus the safety margin, to Amazon's latest allowed `lastUpdatedBefore`. */
    async planBackfill(input: { connectionId: string; safetyMarginMinutes: number }): Promise<BackfillPlan | null> {
      const r = await row(input.connectionId);
      const now = deps.clock();
      const anchor = r.lastMwsOrderAt ?? r.orderCursor ?? new Date(now.getTime() - INITIAL_LOOKBACK_MINUTES * 60_000);
      const from = new Date(anchor.getTime() - input.safetyMarginMinutes * 60_000).toISOString();
      const window = searchWindowFor(from, now.toISOString());
      const filter = searchFilterFor(downloadRulesOf(r.downloadRules));
      if (window === null || filter === null) return null;
      return { connectionId: input.connectionId, window, marketplaceIds: r.marketplaceIds, filter };
    },

    /** One searchOrders page of the backfill window, as order identities (each is handed over separately). */
    async listBackfillOrders(input: { plan: BackfillPlan; paginationToken?: string }): Promise<{ orders: Array<{ marketplaceId: string; amazonOrderId: string }>; nextToken?: string }> {
      const { plan } = input;
      const port = await deps.spApiFor(plan.connectionId);
      try {
        const page = await port.searchOrders({
          ...plan.window,
          marketplaceIds: plan.marketplaceIds,
          ...plan.filter,
          maxResultsPerPage: 100,
          ...(input.paginationToken ? { paginationToken: input.paginationToken } : {}),
        });
        return {
          orders: page.orders.map((o) => ORDER_ID_FIELDS(o, plan.marketplaceIds[0] ?? '')),
          ...(page.nextToken ? { nextToken: page.nextToken } : {}),
        };
      } catch (err) {
        throw asActivityFailure(err);
      }
    },

    /** After the backfill, regular polling continues from the window's end (never moves the cursor backwards). */
    async advanceCursorAfterBackfill(input: { connectionId: string; lastUpdatedBefore: string }): Promise<void> {
      const cursor = new Date(new Date(input.lastUpdatedBefore).getTime() - DOWNLOAD_OVERLAP_MINUTES * 60_000).toISOString();
      await db
        .update(schema.connections)
        .set({ orderCursor: sql`greatest(${schema.connections.orderCursor}, ${cursor}::timestamptz)`, updatedAt: deps.clock() })
        .where(eq(schema.connections.id, input.connectionId));
    },

    /** Orders the backfill stored (first seen through it). */
    async countBackfilledOrders(connectionId: string): Promise<number> {
      return db.$count(schema.orders, and(eq(schema.orders.connectionId, connectionId), eq(schema.orders.downloadedVia, 'BACKFILL')));
    },

    /**
     * The switch: api_kind SP_API, status ACTIVE, then the order-download schedule unpaused (if the
     * migration paused it) or created. Idempotent.
     */
    async switchToSpApi(input: { connectionId: string; orderPollIntervalMs: number }): Promise<{ schedule: string; created: boolean; resumed: boolean }> {
      await db
        .update(schema.connections)
        .set({
          apiKind: 'SP_API',
          status: sql`case when ${schema.connections.status} = 'MIGRATING' then 'ACTIVE' else ${schema.connections.status} end`,
          updatedAt: deps.clock(),
        })
        .where(eq(schema.connections.id, input.connectionId));
      const id = scheduleId('order-download', input.connectionId);
      const handle = deps.workflowClient.schedule.getHandle(id);
      let resumed = false;
      let created = false;
      try {
        const description = await handle.describe();
        if (description.state.paused && description.state.note?.startsWith(MIGRATION_PAUSE_NOTE_PREFIX)) {
          await handle.unpause(`Resumed by the MWS migration: ${input.connectionId} now downloads orders via SP-API.`);
          resumed = true;
        }
      } catch (err) {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
        ({ created } = await ensureOrderDownloadSchedule(deps.workflowClient, { connectionId: input.connectionId, intervalMs: input.orderPollIntervalMs, taskQueue: deps.taskQueue }));
      }
      log.info('connection switched to SP-API', { connectionId: input.connectionId, schedule: id, created, resumed });
      return { schedule: id, created, resumed };
    },
  };
}

export type MigrationActivities = ReturnType<typeof createMigrationActivities>;
