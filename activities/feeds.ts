/**
 * Bulk listing feeds: queueing listing changes (title, description, price — never quantities),
 * claiming a chunk of them for one JSON_LISTINGS_FEED, submitting it, recording Amazon's
 * per-SKU results, and the SKU locks that keep feeds and FBM quantity pushes apart
 * (see docs/feeds.md for why).
 */
import { ApplicationFailure, ScheduleNotFoundError, type Client } from '@temporalio/client';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { schema, type Db } from '../db/client';
import {
  buildListingsFeed,
  chunkListingChanges,
  describeSkuMismatch,
  DEFAULT_FEED_WINDOW,
  DEFAULT_PEAK_HOURS,
  describeWindow,
  matchSku,
  overlaps,
  parseProcessingReport,
  windowHours,
  type DailyWindow,
  type ListingChange,
  type ListingsFeedDocument,
} from '../domain';
import { SpApiError } from '../spapi/errors';
import { toApplicationFailure } from '../spapi/temporal';
import {
  LISTING_FEED_TICK_WORKFLOW_TYPE,
  LISTING_FEED_WORKFLOW_TYPE,
  listingFeedScheduleId,
  listingFeedTickWorkflowId,
  listingFeedWorkflowId,
  type FeedOutcome,
  type ListingFeedInput,
  type ListingFeedScheduleInfo,
  type ListingFeedTuning,
} from '../workflows/contracts/feeds';
import { ConnectionKey } from '../workflows/contracts/search-attributes';
import type { ActivityDeps } from './deps';
import { ensureConnectionSchedule } from './schedules';

/** Content type of uploaded JSON_LISTINGS_FEED documents (signed into the upload URL). */
export const FEED_CONTENT_TYPE = 'application/json; charset=UTF-8';
/** A change Amazon did not process in this many feeds (FATAL, stuck) is reported rejected instead of resent forever. */
export const MAX_FEED_ATTEMPTS = 3;
/** A PUSH lock still marked `pushing` after this long belongs to a push that died; it no longer blocks feeds. */
const STALE_PUSH_MS = 15 * 60_000;

const MAX_TITLE_LENGTH = 200;
const MAX_DESCRIPTION_LENGTH = 2_000;
const QUANTITY_FIELD = /quantit|fulfil+ment_?availability|stock|fbm_?available/i;

/** Issue locale and currency per marketplace (the marketplaces Conduit sells on; others are refused clearly). */
const MARKETPLACE_LOCALE: Readonly<Record<string, { locale: string; currency: string }>> = {
  A1F83G8C2ARO7P: { locale: 'en_GB', currency: 'GBP' },
  A28R8C7NBKEWEA: { locale: 'en_IE', currency: 'EUR' },
  A1PA6795UKMFR9: { locale: 'de_DE', currency: 'EUR' },
  A13V1IB3VIYZZH: { locale: 'fr_FR', currency: 'EUR' },
  APJ6JRA9NG5V4: { locale: 'it_IT', currency: 'EUR' },
  A1RKKUPIHCS9HS: { locale: 'es_ES', currency: 'EUR' },
  A1805IZSGTT6HS: { locale: 'nl_NL', currency: 'EUR' },
  AMEN7PMS3EDWL: { locale: 'fr_BE', currency: 'EUR' },
  A2NODRKZP88ZB9: { locale: 'sv_SE', currency: 'SEK' },
  A1C3SOZRARQ6R3: { locale: 'pl_PL', currency: 'PLN' },
  ATVPDKIKX0DER: { locale: 'en_US', currency: 'USD' },
  A2EUQ1WTGCTBG2: { locale: 'en_CA', currency: 'CAD' },
};

// ---------------------------------------------------------------------------------------------
// Queueing listing changes

/** One requested change as a script, file or API gives it; only the fields present are changed. */
export interface ListingChangeInput {
  sku: string;
  title?: string;
  description?: string;
  /** Price including VAT in the marketplace currency, e.g. 19.99 or "19.99". */
  price?: number | string;
  /** Defaults to the connection's first marketplace. */
  marketplaceId?: string;
  [field: string]: unknown;
}

export interface ListingChangeProblem {
  /** Position in the request (0-based). */
  index: number;
  sku: string;
  field: string;
  message: string;
}

export type QueueListingChangesResult = { ok: true; queued: number; skus: string[] } | { ok: false; problems: ListingChangeProblem[] };

/** What is stored in listing_changes.attributes (never a quantity: a check constraint refuses it too). */
export interface StoredListingAttributes {
  marketplaceId: string;
  title?: string;
  description?: string;
  price?: { amount: number; currency: string };
}

const PRICE_PATTERN = /^\d+(\.\d{1,2})?$/;

/** Validates one change against the rules and the catalogue; returns its problems (none = fine) and the attributes to store. */
export function validateListingChange(
  change: ListingChangeInput,
  index: number,
  ctx: { catalogueSkus: readonly string[]; marketplaceIds: readonly string[]; connectionId: string },
): { problems: ListingChangeProblem[]; attributes?: StoredListingAttributes } {
  const sku = typeof change.sku === 'string' ? change.sku : '';
  const problems: ListingChangeProblem[] = [];
  const problem = (field: string, message: string) => problems.push({ index, sku, field, message });
  if (typeof change.sku !== 'string' || change.sku === '') {
    problem('sku', 'sku is required (the exact Seller SKU, case-sensitive)');
    return { problems };
  }
  for (const key of Object.keys(change)) {
    if (QUANTITY_FIELD.test(key)) {
      problem(
        key,
        `"${key}" is a stock quantity, and bulk listing feeds never carry quantities (a feed would hold Amazon's stock update back). ` +
          `Change FBM stock with \`npm run conduit -- stock adjust --connection ${ctx.connectionId} --sku ${sku} --delta <±units> --reason <why>\`; Conduit pushes the new figure to Amazon at once.`,
      );
    } else if (!['sku', 'title', 'description', 'price', 'marketplaceId'].includes(key)) {
      problem(key, `"${key}" is not a listing field Conduit changes in bulk; use title, description or price`);
    }
  }
  const match = matchSku(change.sku, ctx.catalogueSkus);
  if (match.kind !== 'exact') problem('sku', describeSkuMismatch(change.sku, match).replace('on the Amazon order', 'in this listing change').replace(', then retry the order', ''));

  const attributes: StoredListingAttributes = { marketplaceId: '' };
  const marketplaceId = change.marketplaceId ?? ctx.marketplaceIds[0];
  if (typeof marketplaceId !== 'string' || !ctx.marketplaceIds.includes(marketplaceId)) {
    problem('marketplaceId', `marketplace ${JSON.stringify(change.marketplaceId)} is not one of the connection's marketplaces (${ctx.marketplaceIds.join(', ')})`);
  } else if (!MARKETPLACE_LOCALE[marketplaceId]) {
    problem('marketplaceId', `Conduit does not know the language and currency of marketplace ${marketplaceId} yet`);
  } else {
    attributes.marketplaceId = marketplaceId;
  }

  if (change.title !== undefined) {
    if (typeof change.title !== 'string' || change.title.trim() === '') problem('title', 'title must not be blank');
    else if ([...change.title].length > MAX_TITLE_LENGTH) problem('title', `title is ${[...change.title].length} characters; Amazon allows at most ${MAX_TITLE_LENGTH}`);
    else attributes.title = change.title.trim();
  }
  if (change.description !== undefined) {
    if (typeof change.description !== 'string' || change.description.trim() === '') problem('description', 'description must not be blank');
    else if ([...change.description].length > MAX_DESCRIPTION_LENGTH) problem('description', `description is longer than ${MAX_DESCRIPTION_LENGTH} characters`);
    else attributes.description = change.description.trim();
  }
  if (change.price !== undefined) {
    const text = typeof change.price === 'number' ? String(change.price) : typeof change.price === 'string' ? change.price.trim() : '';
    const amount = Number(text);
    if (!PRICE_PATTERN.test(text) || !(amount > 0)) {
      problem('price', `price must be a positive amount with at most 2 decimals (e.g. 19.99), got ${JSON.stringify(change.price)}`);
    } else if (attributes.marketplaceId) {
      attributes.price = { amount, currency: MARKETPLACE_LOCALE[attributes.marketplaceId]!.currency };
    }
  }
  if (change.title === undefined && change.description === undefined && change.price === undefined && problems.length === 0) {
    problem('sku', 'the change changes nothing: give a title, description or price');
  }
  return problems.length > 0 ? { problems } : { problems, attributes };
}

/**
 * Validates every change and, only if all are fine, queues them (all or nothing). Per SKU the
 * latest value of each field wins; a SKU already inside an in-flight feed is queued again for
 * the next feed (the in-flight result no longer decides its status).
 */
export async function queueListingChanges(db: Db, connectionId: string, changes: readonly ListingChangeInput[]): Promise<QueueListingChangesResult> {
  const [conn] = await db
    .select({ marketplaceIds: schema.connections.marketplaceIds })
    .from(schema.connections)
    .where(eq(schema.connections.id, connectionId));
  if (!conn) return { ok: false, problems: [{ index: -1, sku: '', field: 'connection', message: `Unknown connection "${connectionId}"` }] };
  if (changes.length === 0) return { ok: false, problems: [{ index: -1, sku: '', field: 'changes', message: 'no changes given' }] };
  const catalogueSkus = (await db.select({ sku: schema.catalogueItems.sku }).from(schema.catalogueItems).where(eq(schema.catalogueItems.connectionId, connectionId))).map((r) => r.sku);

  const problems: ListingChangeProblem[] = [];
  const bySku = new Map<string, StoredListingAttributes>();
  changes.forEach((change, index) => {
    const checked = validateListingChange(change, index, { catalogueSkus, marketplaceIds: conn.marketplaceIds, connectionId });
    problems.push(...checked.problems);
    if (checked.attributes) bySku.set(change.sku, { ...bySku.get(change.sku), ...checked.attributes });
  });
  if (problems.length > 0) return { ok: false, problems };

  await db.transaction(async (tx) => {
    const existing = await tx
      .select({ sku: schema.listingChanges.sku, status: schema.listingChanges.status, attributes: schema.listingChanges.attributes })
      .from(schema.listingChanges)
      .where(and(eq(schema.listingChanges.connectionId, connectionId), inArray(schema.listingChanges.sku, [...bySku.keys()])))
      .for('update');
    const current = new Map(existing.map((r) => [r.sku, r]));
    for (const [sku, attributes] of bySku) {
      const before = current.get(sku);
      // Pending (queued or in flight) fields are kept unless overwritten; landed/rejected ones are history.
      const pending = before && (before.status === 'QUEUED' || before.status === 'IN_FEED') ? (before.attributes as StoredListingAttributes) : undefined;
      const merged: StoredListingAttributes = pending && pending.marketplaceId === attributes.marketplaceId ? { ...pending, ...attributes } : attributes;
      await tx
        .insert(schema.listingChanges)
        .values({ connectionId, sku, attributes: merged, status: 'QUEUED' })
        .onConflictDoUpdate({
          target: [schema.listingChanges.connectionId, schema.listingChanges.sku],
          set: {
            attributes: merged,
            status: 'QUEUED',
            feedId: null,
            message: null,
            attempts: 0,
            queuedAt: before && before.status === 'QUEUED' ? sql`${schema.listingChanges.queuedAt}` : sql`now()`,
            updatedAt: sql`now()`,
          },
        });
    }
  });
  return { ok: true, queued: bySku.size, skus: [...bySku.keys()] };
}

/** How many listing changes are in each status, and the rejected ones with Amazon's reasons. */
export async function listingChangeStatus(
  db: Db,
  connectionId: string,
  opts: { rejectedLimit?: number } = {},
): Promise<{ counts: Record<string, number>; rejected: Array<{ sku: string; message: string | null; updatedAt: string }>; inFlightFeeds: Array<{ id: string; amazonFeedId: string | null; status: string; skus: number; submittedAt: string | null }> }> {
  const rows = await db
    .select({ status: schema.listingChanges.status, n: sql<number>`count(*)::int` })
    .from(schema.listingChanges)
    .where(eq(schema.listingChanges.connectionId, connectionId))
    .groupBy(schema.listingChanges.status);
  const counts: Record<string, number> = { QUEUED: 0, IN_FEED: 0, ACCEPTED: 0, REJECTED: 0 };
  for (const r of rows) counts[r.status] = r.n;
  const rejected = await db
    .select({ sku: schema.listingChanges.sku, message: schema.listingChanges.message, updatedAt: schema.listingChanges.updatedAt })
    .from(schema.listingChanges)
    .where(and(eq(schema.listingChanges.connectionId, connectionId), eq(schema.listingChanges.status, 'REJECTED')))
    .orderBy(asc(schema.listingChanges.sku))
    .limit(opts.rejectedLimit ?? 200);
  const feedsInFlight = await db
    .select()
    .from(schema.feeds)
    .where(and(eq(schema.feeds.connectionId, connectionId), inArray(schema.feeds.status, ['CLAIMED', 'IN_QUEUE', 'IN_PROGRESS'])));
  return {
    counts,
    rejected: rejected.map((r) => ({ sku: r.sku, message: r.message, updatedAt: r.updatedAt.toISOString() })),
    inFlightFeeds: feedsInFlight.map((f) => ({ id: f.id, amazonFeedId: f.amazonFeedId, status: f.status, skus: f.skus.length, submittedAt: f.submittedAt?.toISOString() ?? null })),
  };
}

// ---------------------------------------------------------------------------------------------
// Feed window and schedule

/** Reads connections.feed_window; anything but a valid window falls back to the default (22:00–06:00 UK). */
export function parseFeedWindow(raw: unknown): { window: DailyWindow; isDefault: boolean } {
  if (raw && typeof raw === 'object') {
    const r = raw as Record<string, unknown>;
    const ok = (h: unknown): h is number => typeof h === 'number' && Number.isInteger(h) && h >= 0 && h <= 24;
    if (ok(r.startHour) && ok(r.endHour) && (r.timeZone === undefined || r.timeZone === 'Europe/London')) {
      return { window: { startHour: r.startHour, endHour: r.endHour, timeZone: 'Europe/London' }, isDefault: false };
    }
  }
  return { window: DEFAULT_FEED_WINDOW, isDefault: true };
}

/** The schedule spec for a window: one tick at :00 of each window hour, UK time (BST/GMT handled by the server). */
export function listingFeedScheduleSpec(window: DailyWindow): ListingFeedScheduleInfo['spec'] {
  return {
    calendars: [{ hour: windowHours(window), minute: 0, comment: `bulk listing feeds ${describeWindow(window)}` }],
    timezone: 'Europe/London',
  };
}

/** Creates or updates the connection's listing-feed Schedule (idempotent: a rerun changes nothing). */
export async function ensureListingFeedSchedule(
  client: Client,
  settings: { connectionId: string; taskQueue: string; window: DailyWindow },
): Promise<{ scheduleId: string; created: boolean }> {
  return ensureConnectionSchedule(client, {
    scheduleId: listingFeedScheduleId(settings.connectionId),
    connectionId: settings.connectionId,
    spec: listingFeedScheduleSpec(settings.window),
    workflowType: LISTING_FEED_TICK_WORKFLOW_TYPE,
    workflowId: listingFeedTickWorkflowId(settings.connectionId),
    taskQueue: settings.taskQueue,
    catchupWindow: '30 minutes',
    pauseOnFailure: false,
    note: `Bulk listing feeds for ${settings.connectionId}, ${describeWindow(settings.window)} (outside UK peak trading hours).`,
  });
}

/**
 * Starts the connection's feed run now (the operator's `listings run-feed-now`), overriding the
 * window; if a run is already in flight it is returned instead (one run per connection).
 */
export async function startListingFeedRun(
  client: Client,
  settings: { connectionId: string; taskQueue: string; requestedBy: string; overrideWindow?: boolean; tuning?: ListingFeedTuning },
): Promise<{ workflowId: string; runId: string; joinedExisting: boolean }> {
  const workflowId = listingFeedWorkflowId(settings.connectionId);
  const input: ListingFeedInput = {
    connectionId: settings.connectionId,
    trigger: 'OPERATOR',
    overrideWindow: settings.overrideWindow ?? true,
    requestedBy: settings.requestedBy,
    ...(settings.tuning ? { tuning: settings.tuning } : {}),
  };
  let running = false;
  try {
    running = (await client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch {
    // No run yet.
  }
  const handle = await client.workflow.start(LISTING_FEED_WORKFLOW_TYPE, {
    workflowId,
    taskQueue: settings.taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [{ key: ConnectionKey, value: settings.connectionId }],
  });
  return { workflowId, runId: handle.firstExecutionRunId, joinedExisting: running };
}

/** The configured feed window and the schedule as the pre-launch checklist needs them (checklist item 7). */
export async function describeListingFeedSchedule(deps: Pick<ActivityDeps, 'db' | 'workflowClient'>, connectionId: string): Promise<ListingFeedScheduleInfo> {
  const [conn] = await deps.db.select({ feedWindow: schema.connections.feedWindow }).from(schema.connections).where(eq(schema.connections.id, connectionId));
  if (!conn) throw new Error(`Unknown connection "${connectionId}"`);
  const { window, isDefault } = parseFeedWindow(conn.feedWindow);
  const id = listingFeedScheduleId(connectionId);
  let scheduleExists = false;
  let paused = false;
  try {
    // The raw call: the schedule's state without decoding its (encrypted) action arguments.
    const raw = await deps.workflowClient.workflowService.describeSchedule({ namespace: deps.workflowClient.options.namespace, scheduleId: id });
    scheduleExists = true;
    paused = raw.schedule?.state?.paused === true;
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError) && (err as { code?: number }).code !== 5 /* gRPC NOT_FOUND */) throw err;
  }
  return {
    connectionId,
    scheduleId: id,
    window,
    windowText: describeWindow(window),
    windowIsDefault: isDefault,
    overlapsPeakHours: overlaps(window, DEFAULT_PEAK_HOURS),
    spec: listingFeedScheduleSpec(window),
    scheduleExists,
    paused,
    stockPushesHeldDuringFeeds: true,
  };
}

// ---------------------------------------------------------------------------------------------
// Activities

const invalidInput = (message: string) => ApplicationFailure.create({ type: 'InvalidInput', message, nonRetryable: true });

function rethrowSpApi(err: unknown): never {
  if (err instanceof SpApiError) throw toApplicationFailure(err);
  throw err;
}

/** What feeds.summary holds: the messages sent (to read the report against) and the counts. */
interface FeedRecordSummary {
  marketplaceId?: string;
  feedDocumentId?: string;
  sent?: Array<[number, string]>;
  accepted?: number;
  rejected?: number;
  requeued?: number;
  outcome?: string;
  reason?: string;
}

export interface ClaimFeedChunkInput {
  connectionId: string;
  /** Chosen by the workflow (deterministic), so a retried claim returns the same chunk. */
  feedRecordId: string;
  maxSkus: number;
  pushSettleMs: number;
  quietPeriodMs: number;
}

export type ClaimFeedChunkResult =
  | { claimed: true; feedRecordId: string; skus: string[]; marketplaceId: string }
  | { claimed: false; queued: number; deferred: number };

export interface PreparedFeed {
  empty: boolean;
  feedDocumentId: string;
  marketplaceId: string;
  messages: number;
  /** SKUs left out because their stored change could not be built (reported rejected). */
  unbuildable: string[];
}

export interface FeedResults {
  accepted: number;
  rejected: Array<{ sku: string; message: string }>;
  requeued: number;
  /** Why messages were not processed (FATAL, no report), for the operator. */
  problem: string | null;
}

export function createFeedActivities(deps: ActivityDeps) {
  const { db, log } = deps;

  async function connectionRow(connectionId: string) {
    const [row] = await db.select().from(schema.connections).where(eq(schema.connections.id, connectionId));
    if (!row) throw invalidInput(`Unknown connection "${connectionId}"`);
    return row;
  }

  async function feedRow(feedRecordId: string) {
    const [row] = await db.select().from(schema.feeds).where(eq(schema.feeds.id, feedRecordId));
    if (!row) throw invalidInput(`Unknown feed record "${feedRecordId}"`);
    return row;
  }

  /** Puts a feed's changes back in the queue and frees its SKUs (all of them, or just `skus`). */
  async function requeueAndUnlock(feedRecordId: string, connectionId: string, opts: { skus?: string[]; countAttempt: boolean; dropFromRecord?: boolean }): Promise<number> {
    return db.transaction(async (tx) => {
      const skuFilter = opts.skus ? inArray(schema.listingChanges.sku, opts.skus) : undefined;
      const requeued = await tx
        .update(schema.listingChanges)
        .set({
          status: 'QUEUED',
          feedId: null,
          updatedAt: sql`now()`,
          ...(opts.countAttempt ? { attempts: sql`${schema.listingChanges.attempts} + 1` } : {}),
        })
        .where(and(eq(schema.listingChanges.connectionId, connectionId), eq(schema.listingChanges.feedId, feedRecordId), eq(schema.listingChanges.status, 'IN_FEED'), skuFilter))
        .returning({ sku: schema.listingChanges.sku, attempts: schema.listingChanges.attempts });
      // Changes Amazon has now failed to process too often are reported, not resent forever.
      const exhausted = requeued.filter((r) => r.attempts >= MAX_FEED_ATTEMPTS).map((r) => r.sku);
      if (exhausted.length > 0) {
        await tx
          .update(schema.listingChanges)
          .set({ status: 'REJECTED', message: `Amazon did not process this change in ${MAX_FEED_ATTEMPTS} feeds (cancelled as stuck or failed); check Seller Central's feed status, then queue it again.`, updatedAt: sql`now()` })
          .where(and(eq(schema.listingChanges.connectionId, connectionId), inArray(schema.listingChanges.sku, exhausted), eq(schema.listingChanges.status, 'QUEUED')));
      }
      await tx
        .delete(schema.skuFeedLocks)
        .where(and(eq(schema.skuFeedLocks.connectionId, connectionId), eq(schema.skuFeedLocks.feedId, feedRecordId), opts.skus ? inArray(schema.skuFeedLocks.sku, opts.skus) : undefined));
      if (opts.skus && opts.dropFromRecord) {
        const taken = new Set(opts.skus);
        const [feed] = await tx.select({ skus: schema.feeds.skus }).from(schema.feeds).where(eq(schema.feeds.id, feedRecordId)).for('update');
        if (feed) await tx.update(schema.feeds).set({ skus: feed.skus.filter((s) => !taken.has(s)) }).where(eq(schema.feeds.id, feedRecordId));
      }
      return requeued.length - exhausted.length;
    });
  }

  return {
    /** Queues validated listing changes (the activity form of `queueListingChanges`). */
    async queueListingChanges(input: { connectionId: string; changes: ListingChangeInput[] }): Promise<QueueListingChangesResult> {
      return queueListingChanges(db, input.connectionId, input.changes);
    },

    /** Seller, marketplaces and the feed window of a connection. */
    async loadFeedSettings(input: { connectionId: string }): Promise<{ sellerId: string; marketplaceIds: string[]; window: DailyWindow; windowIsDefault: boolean }> {
      const row = await connectionRow(input.connectionId);
      const { window, isDefault } = parseFeedWindow(row.feedWindow);
      return { sellerId: row.sellerId, marketplaceIds: row.marketplaceIds, window, windowIsDefault: isDefault };
    },

    /**
     * Claims the next chunk: the oldest queued changes of one marketplace whose SKUs are quiet — not
     * in another feed, no FBM push in flight or settling, no FBM stock movement in the quiet period,
     * nothing waiting to be pushed. The SKUs are not locked yet (see lockFeedSkus).
     */
    async claimFeedChunk(input: ClaimFeedChunkInput): Promise<ClaimFeedChunkResult> {
      const existing = await db.select().from(schema.feeds).where(eq(schema.feeds.id, input.feedRecordId));
      if (existing[0]) {
        const summary = (existing[0].summary ?? {}) as FeedRecordSummary;
        return { claimed: true, feedRecordId: input.feedRecordId, skus: existing[0].skus, marketplaceId: summary.marketplaceId ?? '' };
      }
      const { connectionId } = input;
      const settle = `${Math.max(0, Math.round(input.pushSettleMs))} milliseconds`;
      const quiet = `${Math.max(0, Math.round(input.quietPeriodMs))} milliseconds`;
      const stalePush = `${STALE_PUSH_MS} milliseconds`;
      return db.transaction(async (tx) => {
        const eligible = (await tx.execute(sql`
          select lc.sku, lc.attributes->>'marketplaceId' as marketplace_id
          from listing_changes lc
          where lc.connection_id = ${connectionId} and lc.status = 'QUEUED'
            and not exists (
              select 1 from sku_feed_locks l
              where l.connection_id = lc.connection_id and l.sku = lc.sku
                and (l.holder = 'FEED'
                     or (l.pushing and l.since > now() - ${stalePush}::interval)
                     or (not l.pushing and l.since > now() - ${settle}::interval)))
            and not exists (
              select 1 from stock_pools sp join catalogue_items ci on ci.connection_id = sp.connection_id and ci.sku = sp.sku
              where sp.connection_id = lc.connection_id and sp.sku = lc.sku and sp.pool = 'FBM'
                and sp.last_pushed_quantity is not null
                and sp.last_pushed_quantity <> greatest(0, sp.on_hand - sp.allocated - ci.buffer))
            and not exists (
              select 1 from stock_ledger sl
              where sl.connection_id = lc.connection_id and sl.sku = lc.sku and sl.pool = 'FBM'
                and sl.created_at > now() - ${quiet}::interval)
          order by lc.queued_at, lc.sku
          limit ${Math.max(1, input.maxSkus)}
        `)) as unknown as Array<{ sku: string; marketplace_id: string }>;
        if (eligible.length === 0) {
          const [counts] = (await tx.execute(sql`select count(*)::int as n from listing_changes where connection_id = ${connectionId} and status = 'QUEUED'`)) as unknown as Array<{ n: number }>;
          return { claimed: false as const, queued: counts?.n ?? 0, deferred: counts?.n ?? 0 };
        }
        const marketplaceId = eligible[0]!.marketplace_id;
        const candidates = eligible.filter((e) => e.marketplace_id === marketplaceId).map((e) => e.sku);
        // SKUs are locked only just before createFeed (lockFeedSkus), so a push is never held while the document is built.
        const claimed = await tx
          .update(schema.listingChanges)
          .set({ status: 'IN_FEED', feedId: input.feedRecordId, updatedAt: sql`now()` })
          .where(and(eq(schema.listingChanges.connectionId, connectionId), eq(schema.listingChanges.status, 'QUEUED'), inArray(schema.listingChanges.sku, candidates)))
          .returning({ sku: schema.listingChanges.sku });
        const skus = claimed.map((c) => c.sku).sort();
        if (skus.length === 0) return { claimed: false as const, queued: eligible.length, deferred: eligible.length };
        const summary: FeedRecordSummary = { marketplaceId };
        await tx.insert(schema.feeds).values({ id: input.feedRecordId, connectionId, skus, status: 'CLAIMED', summary });
        return { claimed: true as const, feedRecordId: input.feedRecordId, skus, marketplaceId };
      });
    },

    /** Builds the JSON_LISTINGS_FEED for a claimed chunk (quantities never included), uploads it, and remembers what was sent. */
    async prepareFeedDocument(input: { feedRecordId: string }): Promise<PreparedFeed> {
      const feed = await feedRow(input.feedRecordId);
      const conn = await connectionRow(feed.connectionId);
      const rows = await db
        .select({ sku: schema.listingChanges.sku, attributes: schema.listingChanges.attributes, productType: schema.catalogueItems.productType })
        .from(schema.listingChanges)
        .innerJoin(schema.catalogueItems, and(eq(schema.catalogueItems.connectionId, schema.listingChanges.connectionId), eq(schema.catalogueItems.sku, schema.listingChanges.sku)))
        .where(and(eq(schema.listingChanges.connectionId, feed.connectionId), eq(schema.listingChanges.feedId, feed.id), eq(schema.listingChanges.status, 'IN_FEED')))
        .orderBy(asc(schema.listingChanges.sku));
      const summary = (feed.summary ?? {}) as FeedRecordSummary;
      const marketplaceId = summary.marketplaceId ?? conn.marketplaceIds[0] ?? '';
      const locale = MARKETPLACE_LOCALE[marketplaceId];
      if (!locale) throw invalidInput(`Conduit does not know the issue locale of marketplace ${marketplaceId}`);
      const changes: ListingChange[] = [];
      const unbuildable: string[] = [];
      for (const row of rows) {
        const a = row.attributes as StoredListingAttributes;
        const change: ListingChange = { sku: row.sku, productType: row.productType, marketplaceId };
        if (a.title !== undefined) change.title = a.title;
        if (a.description !== undefined) change.description = a.description;
        if (a.price !== undefined) change.price = a.price;
        try {
          buildListingsFeed(conn.sellerId, [change], locale.locale);
          changes.push(change);
        } catch (err) {
          unbuildable.push(row.sku);
          await db
            .update(schema.listingChanges)
            .set({ status: 'REJECTED', message: `Conduit could not build this change: ${(err as Error).message}`, updatedAt: sql`now()` })
            .where(and(eq(schema.listingChanges.connectionId, feed.connectionId), eq(schema.listingChanges.sku, row.sku), eq(schema.listingChanges.feedId, feed.id)));
        }
      }
      if (changes.length === 0) return { empty: true, feedDocumentId: '', marketplaceId, messages: 0, unbuildable };
      // One chunk of the domain's chunking (the claim already bounded the size; this keeps Amazon's byte limit too).
      const chunks = chunkListingChanges(changes);
      if (chunks.length !== 1) throw invalidInput(`Feed ${feed.id} would not fit one document (${chunks.length} chunks); lower maxSkusPerFeed`);
      const document = buildListingsFeed(conn.sellerId, chunks[0]!, locale.locale);
      try {
        const port = await deps.spApiFor(feed.connectionId);
        const { feedDocumentId, url } = await port.createFeedDocument(FEED_CONTENT_TYPE);
        await port.uploadFeedDocument(url, FEED_CONTENT_TYPE, JSON.stringify(document));
        const sent: Array<[number, string]> = document.messages.map((m) => [m.messageId, m.sku]);
        await db
          .update(schema.feeds)
          .set({ summary: { ...summary, marketplaceId, feedDocumentId, sent } satisfies FeedRecordSummary })
          .where(eq(schema.feeds.id, feed.id));
        return { empty: false, feedDocumentId, marketplaceId, messages: document.messages.length, unbuildable };
      } catch (err) {
        rethrowSpApi(err);
      }
    },

    /**
     * Locks the SKUs of an uploaded document for the feed, right before createFeed, and names those
     * that are busy (a push in flight or settling, FBM stock that moved in the quiet period or is
     * waiting to be pushed): the feed must go without them. Pushes that start later wait for the feed.
     */
    async lockFeedSkus(input: { feedRecordId: string; pushSettleMs: number; quietPeriodMs: number }): Promise<{ locked: number; busy: string[] }> {
      const feed = await feedRow(input.feedRecordId);
      const { connectionId } = feed;
      const sent = ((feed.summary ?? {}) as FeedRecordSummary).sent?.map(([, sku]) => sku) ?? [];
      if (sent.length === 0) return { locked: 0, busy: [] };
      const settle = `${Math.max(0, Math.round(input.pushSettleMs))} milliseconds`;
      const quiet = `${Math.max(0, Math.round(input.quietPeriodMs))} milliseconds`;
      const stalePush = `${STALE_PUSH_MS} milliseconds`;
      return db.transaction(async (tx) => {
        const moving = (await tx.execute(sql`
          select sp.sku from stock_pools sp join catalogue_items ci on ci.connection_id = sp.connection_id and ci.sku = sp.sku
          where sp.connection_id = ${connectionId} and sp.pool = 'FBM' and sp.sku in ${sent}
            and sp.last_pushed_quantity is not null and sp.last_pushed_quantity <> greatest(0, sp.on_hand - sp.allocated - ci.buffer)
          union
          select sl.sku from stock_ledger sl
          where sl.connection_id = ${connectionId} and sl.pool = 'FBM' and sl.sku in ${sent} and sl.created_at > now() - ${quiet}::interval
        `)) as unknown as Array<{ sku: string }>;
        const busy = new Set(moving.map((m) => m.sku));
        const candidates = sent.filter((sku) => !busy.has(sku));
        if (candidates.length > 0) {
          // Settled PUSH locks make way; a push that starts meanwhile wins the primary key and keeps its SKU.
          await tx.execute(sql`
            delete from sku_feed_locks
            where connection_id = ${connectionId} and holder = 'PUSH' and sku in ${candidates}
              and ((pushing and since <= now() - ${stalePush}::interval) or (not pushing and since <= now() - ${settle}::interval))`);
          await tx
            .insert(schema.skuFeedLocks)
            .values(candidates.map((sku) => ({ connectionId, sku, holder: 'FEED', feedId: feed.id, since: sql`now()` })))
            .onConflictDoNothing();
          const mine = await tx
            .select({ sku: schema.skuFeedLocks.sku })
            .from(schema.skuFeedLocks)
            .where(and(eq(schema.skuFeedLocks.connectionId, connectionId), eq(schema.skuFeedLocks.feedId, feed.id)));
          const held = new Set(mine.map((m) => m.sku));
          for (const sku of candidates) if (!held.has(sku)) busy.add(sku);
        }
        return { locked: sent.length - busy.size, busy: [...busy].sort() };
      });
    },

    /** createFeed for an uploaded document; the feed record gets Amazon's feedId. */
    async submitFeed(input: { feedRecordId: string; feedDocumentId: string; marketplaceId: string }): Promise<{ amazonFeedId: string; submittedAt: string }> {
      const feed = await feedRow(input.feedRecordId);
      if (feed.amazonFeedId && feed.submittedAt) return { amazonFeedId: feed.amazonFeedId, submittedAt: feed.submittedAt.toISOString() };
      try {
        const port = await deps.spApiFor(feed.connectionId);
        const { feedId } = await port.createFeed({ feedType: 'JSON_LISTINGS_FEED', marketplaceIds: [input.marketplaceId], inputFeedDocumentId: input.feedDocumentId });
        const submittedAt = deps.clock();
        await db.update(schema.feeds).set({ amazonFeedId: feedId, status: 'IN_QUEUE', submittedAt }).where(eq(schema.feeds.id, feed.id));
        log.info('listing feed submitted', { connectionId: feed.connectionId, feedRecordId: feed.id, amazonFeedId: feedId, skus: feed.skus.length });
        return { amazonFeedId: feedId, submittedAt: submittedAt.toISOString() };
      } catch (err) {
        rethrowSpApi(err);
      }
    },

    /** getFeed; the feed record follows Amazon's processing status. */
    async checkFeed(input: { connectionId: string; feedRecordId: string; amazonFeedId: string }): Promise<{ processingStatus: string; resultFeedDocumentId?: string }> {
      try {
        const port = await deps.spApiFor(input.connectionId);
        const feed = await port.getFeed(input.amazonFeedId);
        if (feed.processingStatus === 'IN_QUEUE' || feed.processingStatus === 'IN_PROGRESS') {
          await db.update(schema.feeds).set({ status: feed.processingStatus }).where(eq(schema.feeds.id, input.feedRecordId));
        }
        return { processingStatus: feed.processingStatus, ...(feed.resultFeedDocumentId ? { resultFeedDocumentId: feed.resultFeedDocumentId } : {}) };
      } catch (err) {
        rethrowSpApi(err);
      }
    },

    /** cancelFeed; Amazon refuses it once the feed is IN_PROGRESS, which comes back as `cancelled: false` with the status. */
    async cancelAmazonFeed(input: { connectionId: string; amazonFeedId: string }): Promise<{ cancelled: boolean; processingStatus: string }> {
      try {
        const port = await deps.spApiFor(input.connectionId);
        try {
          await port.cancelFeed(input.amazonFeedId);
          return { cancelled: true, processingStatus: 'CANCELLED' };
        } catch (err) {
          if (!(err instanceof SpApiError) || err.type !== 'InvalidInput') throw err;
          const feed = await port.getFeed(input.amazonFeedId);
          return { cancelled: feed.processingStatus === 'CANCELLED', processingStatus: feed.processingStatus };
        }
      } catch (err) {
        rethrowSpApi(err);
      }
    },

    /**
     * Reads the processing report and records each SKU's result: ACCEPTED, REJECTED with Amazon's
     * message, or back in the queue when Amazon did not process it. Frees the feed's SKUs.
     */
    async recordFeedResults(input: { feedRecordId: string; processingStatus: string; resultFeedDocumentId?: string }): Promise<FeedResults> {
      const feed = await feedRow(input.feedRecordId);
      const summary = (feed.summary ?? {}) as FeedRecordSummary;
      const sent = summary.sent ?? [];
      const sentDoc = { header: { sellerId: '', version: '2.0', issueLocale: '' }, messages: sent.map(([messageId, sku]) => ({ messageId, sku })) } as unknown as ListingsFeedDocument;
      let parsed: ReturnType<typeof parseProcessingReport> = { ok: false, reason: `the feed ended ${input.processingStatus} without a processing report` };
      if (input.resultFeedDocumentId) {
        try {
          const port = await deps.spApiFor(feed.connectionId);
          const text = await port.getFeedDocumentContent(input.resultFeedDocumentId);
          let report: unknown;
          try {
            report = JSON.parse(text);
          } catch {
            report = undefined;
          }
          parsed = parseProcessingReport(report, sentDoc);
        } catch (err) {
          rethrowSpApi(err);
        }
      }
      const accepted = parsed.ok ? parsed.accepted : [];
      const rejected = parsed.ok
        ? parsed.results
            .filter((r) => r.status === 'REJECTED')
            .map((r) => ({ sku: r.sku, message: r.errors.map((e) => (e.code ? `${e.code}: ${e.message}` : e.message)).join('; ') }))
        : [];
      const notProcessed = parsed.ok ? parsed.notProcessed : sent.map(([, sku]) => sku);
      const problem = !parsed.ok ? parsed.reason : parsed.feedErrors.length > 0 ? parsed.feedErrors.map((e) => e.message).join('; ') : null;

      await db.transaction(async (tx) => {
        const mine = and(eq(schema.listingChanges.connectionId, feed.connectionId), eq(schema.listingChanges.feedId, feed.id), eq(schema.listingChanges.status, 'IN_FEED'));
        if (accepted.length > 0) {
          await tx.update(schema.listingChanges).set({ status: 'ACCEPTED', message: null, updatedAt: sql`now()` }).where(and(mine, inArray(schema.listingChanges.sku, accepted)));
        }
        for (const r of rejected) {
          await tx.update(schema.listingChanges).set({ status: 'REJECTED', message: r.message, updatedAt: sql`now()` }).where(and(mine, eq(schema.listingChanges.sku, r.sku)));
        }
      });
      const requeued = notProcessed.length > 0 ? await requeueAndUnlock(feed.id, feed.connectionId, { skus: notProcessed, countAttempt: true }) : 0;
      // Anything still IN_FEED for this record (not in the sent list) goes back too; then every lock of the feed is freed.
      const leftovers = await requeueAndUnlock(feed.id, feed.connectionId, { countAttempt: false });
      const outcome: FeedOutcome = input.processingStatus === 'FATAL' ? 'FATAL' : 'DONE';
      await db
        .update(schema.feeds)
        .set({
          status: outcome,
          finishedAt: deps.clock(),
          summary: { ...summary, accepted: accepted.length, rejected: rejected.length, requeued: requeued + leftovers, outcome, ...(problem ? { reason: problem } : {}) } satisfies FeedRecordSummary,
        })
        .where(eq(schema.feeds.id, feed.id));
      if (rejected.length > 0) log.warn('listing changes rejected by Amazon', { connectionId: feed.connectionId, feedRecordId: feed.id, rejected: rejected.length });
      return { accepted: accepted.length, rejected, requeued: requeued + leftovers, problem };
    },

    /** Amazon has finished the feed: free its SKUs for FBM pushes at once (the results are recorded next). */
    async unlockFeedSkus(input: { feedRecordId: string }): Promise<{ unlocked: number }> {
      const deleted = await db.delete(schema.skuFeedLocks).where(eq(schema.skuFeedLocks.feedId, input.feedRecordId)).returning({ sku: schema.skuFeedLocks.sku });
      return { unlocked: deleted.length };
    },

    /** Ends a feed record without results (cancelled, stuck, abandoned, empty): its changes go back in the queue and its SKUs are freed. */
    async releaseFeedChunk(input: { feedRecordId: string; outcome: FeedOutcome; reason: string; countAttempt: boolean }): Promise<{ requeued: number }> {
      const feed = await feedRow(input.feedRecordId);
      const requeued = await requeueAndUnlock(feed.id, feed.connectionId, { countAttempt: input.countAttempt });
      const summary = (feed.summary ?? {}) as FeedRecordSummary;
      await db
        .update(schema.feeds)
        .set({ status: input.outcome, finishedAt: deps.clock(), summary: { ...summary, requeued, outcome: input.outcome, reason: input.reason } satisfies FeedRecordSummary })
        .where(eq(schema.feeds.id, feed.id));
      return { requeued };
    },

    /** Takes SKUs out of a chunk that has not been submitted yet (their stock is about to change): back in the queue, unlocked. */
    async releaseSkusFromChunk(input: { feedRecordId: string; skus: string[] }): Promise<{ requeued: number }> {
      const feed = await feedRow(input.feedRecordId);
      return { requeued: await requeueAndUnlock(feed.id, feed.connectionId, { skus: input.skus, countAttempt: false, dropFromRecord: true }) };
    },

    /**
     * At the start of a run: feed records an earlier run left unfinished (it failed or was
     * terminated) are closed, their changes queued again and their SKUs unlocked.
     */
    async recoverUnfinishedFeeds(input: { connectionId: string }): Promise<{ recovered: number; requeued: number }> {
      const unfinished = await db
        .select({ id: schema.feeds.id, amazonFeedId: schema.feeds.amazonFeedId })
        .from(schema.feeds)
        .where(and(eq(schema.feeds.connectionId, input.connectionId), inArray(schema.feeds.status, ['CLAIMED', 'IN_QUEUE', 'IN_PROGRESS'])));
      let requeued = 0;
      for (const feed of unfinished) {
        requeued += await requeueAndUnlock(feed.id, input.connectionId, { countAttempt: feed.amazonFeedId !== null });
        await db.update(schema.feeds).set({ status: 'ABANDONED', finishedAt: deps.clock() }).where(eq(schema.feeds.id, feed.id));
      }
      // Locks of feeds that no longer exist (a crashed claim) go too.
      await db.execute(sql`delete from sku_feed_locks l where l.connection_id = ${input.connectionId} and l.holder = 'FEED'
        and not exists (select 1 from feeds f where f.id = l.feed_id and f.status in ('CLAIMED','IN_QUEUE','IN_PROGRESS'))`);
      if (unfinished.length > 0) log.warn('closed feed records left unfinished by an earlier run', { connectionId: input.connectionId, feeds: unfinished.length, requeued });
      return { recovered: unfinished.length, requeued };
    },

    /** How many changes are still queued (for the run's result). */
    async countQueuedListingChanges(input: { connectionId: string }): Promise<number> {
      const [row] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(schema.listingChanges)
        .where(and(eq(schema.listingChanges.connectionId, input.connectionId), eq(schema.listingChanges.status, 'QUEUED')));
      return row?.n ?? 0;
    },

    // -------------------------------------------------------------------------------------------
    // The FBM push side of the SKU lock (called by workflows/feeds/push-gate.ts).

    /** Takes the SKU for an FBM push, unless an in-flight feed holds it; then says which feed. */
    async beginFbmPush(input: { connectionId: string; sku: string }): Promise<{ clear: true } | { clear: false; feedRecordId: string; feedWorkflowId: string }> {
      for (let attempt = 0; attempt < 3; attempt++) {
        const taken = await db
          .insert(schema.skuFeedLocks)
          .values({ connectionId: input.connectionId, sku: input.sku, holder: 'PUSH', pushing: true, since: sql`now()` })
          .onConflictDoUpdate({
            target: [schema.skuFeedLocks.connectionId, schema.skuFeedLocks.sku],
            set: { pushing: true, since: sql`now()` },
            setWhere: sql`${schema.skuFeedLocks.holder} = 'PUSH'`,
          })
          .returning({ holder: schema.skuFeedLocks.holder });
        if (taken.length > 0) return { clear: true };
        const [lock] = await db
          .select({ feedId: schema.skuFeedLocks.feedId })
          .from(schema.skuFeedLocks)
          .where(and(eq(schema.skuFeedLocks.connectionId, input.connectionId), eq(schema.skuFeedLocks.sku, input.sku), eq(schema.skuFeedLocks.holder, 'FEED')));
        if (lock?.feedId) return { clear: false, feedRecordId: lock.feedId, feedWorkflowId: listingFeedWorkflowId(input.connectionId) };
      }
      throw new Error(`SKU lock of ${input.sku} kept changing hands; retrying`);
    },

    /** The push went out (or was skipped): the SKU settles, then feeds may take it again. */
    async endFbmPush(input: { connectionId: string; sku: string }): Promise<void> {
      await db
        .update(schema.skuFeedLocks)
        .set({ pushing: false, since: sql`now()` })
        .where(and(eq(schema.skuFeedLocks.connectionId, input.connectionId), eq(schema.skuFeedLocks.sku, input.sku), eq(schema.skuFeedLocks.holder, 'PUSH')));
    },

    /** A push found its SKU held by a feed whose workflow is gone (terminated): free that feed's SKUs so stock is never held forever. */
    async releaseOrphanedFeedLocks(input: { connectionId: string; feedRecordId: string }): Promise<{ released: number }> {
      try {
        const description = await deps.workflowClient.workflow.getHandle(listingFeedWorkflowId(input.connectionId)).describe();
        if (description.status.name === 'RUNNING') return { released: 0 };
      } catch (err) {
        if (!(err instanceof Error) || !/not found/i.test(err.message)) throw err;
      }
      const requeued = await requeueAndUnlock(input.feedRecordId, input.connectionId, { countAttempt: false });
      await db.update(schema.feeds).set({ status: 'ABANDONED', finishedAt: deps.clock() }).where(and(eq(schema.feeds.id, input.feedRecordId), inArray(schema.feeds.status, ['CLAIMED', 'IN_QUEUE', 'IN_PROGRESS'])));
      // Locks with no matching listing change (re-queued meanwhile) go too.
      await db.delete(schema.skuFeedLocks).where(and(eq(schema.skuFeedLocks.connectionId, input.connectionId), eq(schema.skuFeedLocks.feedId, input.feedRecordId)));
      log.warn('freed SKUs of a feed whose workflow is not running', { connectionId: input.connectionId, feedRecordId: input.feedRecordId, requeued });
      return { released: requeued };
    },

    /** Activity form of ensureListingFeedSchedule (onboarding, `listings schedule`). */
    async ensureListingFeedSchedule(input: { connectionId: string }): Promise<{ scheduleId: string; created: boolean }> {
      const row = await connectionRow(input.connectionId);
      return ensureListingFeedSchedule(deps.workflowClient, { connectionId: input.connectionId, taskQueue: deps.taskQueue, window: parseFeedWindow(row.feedWindow).window });
    },

    /** The feed window and schedule for the pre-launch checklist. */
    async describeListingFeedSchedule(input: { connectionId: string }): Promise<ListingFeedScheduleInfo> {
      return describeListingFeedSchedule(deps, input.connectionId);
    },
  };
}

/** The feed activities' type, for `proxyActivities` in workflow code. */
export type FeedActivities = ReturnType<typeof createFeedActivities>;
