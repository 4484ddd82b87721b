/**
 * `listingFeed`: one run per connection (`listing-feed:<connection>`) that sends the queued
 * listing changes (titles, descriptions, prices) to Amazon as JSON_LISTINGS_FEED documents, one
 * small feed at a time: claim quiet SKUs → build + upload → createFeed → poll getFeed on timers →
 * read the processing report → record ACCEPTED / REJECTED (Amazon's reason) per SKU.
 *
 * It never stalls stock (docs/feeds.md): feeds carry no quantities; a SKU is only claimed when its
 * FBM stock is quiet; a push for a SKU inside the feed waits for the feed instead of colliding
 * with it, and the feed is cancelled and resubmitted without that SKU while Amazon still has it
 * IN_QUEUE. A watchdog cancels feeds stuck IN_QUEUE (resubmitting in halves) and abandons ones
 * stuck IN_PROGRESS, telling the operator (NeedsAttention).
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { FeedActivities } from '../../activities/feeds';
import { describeWindow, isWithinWindow, type DailyWindow } from '../../domain/schedule';
import { instantOrThrow } from '../../domain/time';
import { dbWrite, spApiCall } from '../../spapi/activity-options';
import {
  DEFAULT_FEED_TUNING,
  feedClearedSignal,
  listingFeedStatusQuery,
  rejectedListingsQuery,
  stockWaitingSignal,
  type CarriedFeedRun,
  type FeedCleared,
  type FeedOutcome,
  type FeedRunPhase,
  type FeedSummary,
  type FeedTotals,
  type ListingFeedInput,
  type ListingFeedResult,
  type ListingFeedRunOutcome,
  type ListingFeedStatus,
  type ListingFeedTuning,
  type RejectedListing,
  type StockWaitingForFeed,
} from '../contracts/feeds';
import { ConnectionKey, NeedsAttentionKey, SkusKey } from '../contracts/search-attributes';
import { installReauthorisationHandler, withAccess } from '../lib/access';
import { workflowNowIso } from '../lib/time';

const db = proxyActivities<FeedActivities>(dbWrite);
const amazon = proxyActivities<FeedActivities>(spApiCall);

type Tuning = Required<ListingFeedTuning>;

/** Bounds on what the status query and search attributes carry. */
const MAX_FEEDS_SHOWN = 30;
const MAX_REJECTED_KEPT = 500;
const MAX_SKUS_IN_SEARCH_ATTRIBUTE = 100;
/** Rebuild a document at most this often when its SKUs' stock keeps moving before submission. */
const MAX_PREPARE_ROUNDS = 4;

/** Sends the queued listing changes of one connection as small, collision-free bulk feeds. */
export async function listingFeed(input: ListingFeedInput): Promise<ListingFeedResult> {
  if (!input || typeof input.connectionId !== 'string' || input.connectionId === '') {
    throw ApplicationFailure.nonRetryable('listingFeed needs a connectionId');
  }
  if (input.trigger !== 'SCHEDULE' && input.trigger !== 'OPERATOR') {
    throw ApplicationFailure.nonRetryable(`listingFeed trigger must be SCHEDULE or OPERATOR, got ${String(input.trigger)}`);
  }
  const run = new FeedRun(input);
  installReauthorisationHandler();
  setHandler(listingFeedStatusQuery, () => run.status());
  setHandler(rejectedListingsQuery, () => [...run.rejected]);
  setHandler(stockWaitingSignal, async (waiting) => {
    if (!run.hold(waiting)) await run.clear([waiting], 'NOT_HELD');
  });
  try {
    return await run.execute();
  } finally {
    await run.clearAllWaiters();
    await condition(allHandlersFinished);
  }
}

/** The chunk in flight: its SKUs, Amazon's feed, and the pushes waiting for it. */
interface Chunk {
  feedRecordId: string;
  skus: Set<string>;
  amazonFeedId: string | null;
  status: 'PREPARING' | 'IN_QUEUE' | 'IN_PROGRESS' | 'FINISHING';
  submittedAt: string | null;
  /** SKU → push workflows waiting for it. */
  waiting: Map<string, StockWaitingForFeed[]>;
}

class FeedRun {
  readonly connectionId: string;
  readonly tuning: Tuning;
  phase: FeedRunPhase = 'STARTING';
  window: DailyWindow | null = null;
  current: Chunk | null = null;
  totals: FeedTotals;
  feeds: FeedSummary[];
  rejected: RejectedListing[];
  attention: string[];
  /** Feed size cap after stuck feeds (halved each time, never grows back within a run). */
  maxSkusPerFeed: number;
  /** Feed size cap after cancellations for stock (halved on a cancel, doubled after a clean feed): busy catalogues get small feeds. */
  stockCap: number;
  halvings: number;
  windowOverridden: boolean;
  readonly startedAt: string;
  private feedsThisRun = 0;
  private sequence = 0;

  constructor(readonly input: ListingFeedInput) {
    this.connectionId = input.connectionId;
    this.tuning = { ...DEFAULT_FEED_TUNING, ...input.tuning };
    const carried = input.carried;
    this.totals = carried?.totals ?? { feeds: 0, accepted: 0, rejected: 0, requeued: 0, cancelledForStock: 0, pushesHeld: 0, pushesReleased: 0, stuckFeeds: 0 };
    this.feeds = carried?.feeds ?? [];
    this.rejected = carried?.rejected ?? [];
    this.attention = carried?.attention ?? [];
    this.maxSkusPerFeed = carried?.maxSkusPerFeed ?? this.tuning.maxSkusPerFeed;
    this.stockCap = carried?.stockCap ?? this.tuning.maxSkusPerFeed;
    this.halvings = carried?.halvings ?? 0;
    this.windowOverridden = carried?.windowOverridden ?? false;
    this.startedAt = carried?.startedAt ?? workflowNowIso();
  }

  async execute(): Promise<ListingFeedResult> {
    const settings = await db.loadFeedSettings({ connectionId: this.connectionId });
    this.window = settings.window;
    const now = workflowNowIso();
    if (!isWithinWindow(settings.window, now) && !this.input.carried) {
      if (this.input.trigger === 'OPERATOR' && this.input.overrideWindow === true) {
        this.windowOverridden = true;
        const by = this.input.requestedBy ?? 'an operator';
        log.warn('feed window overridden', { connectionId: this.connectionId, window: describeWindow(settings.window), by });
        upsertMemo({ feedWindowOverriddenBy: by, feedWindowOverriddenAt: now });
      } else {
        this.phase = 'OUTSIDE_WINDOW';
        log.info('refusing a bulk feed outside the feed window', { connectionId: this.connectionId, window: describeWindow(settings.window), trigger: this.input.trigger });
        return this.result('REFUSED_OUTSIDE_WINDOW', await db.countQueuedListingChanges({ connectionId: this.connectionId }));
      }
    }

    if (!this.input.carried) {
      const { recovered } = await db.recoverUnfinishedFeeds({ connectionId: this.connectionId });
      if (recovered > 0) log.warn('earlier run left feeds unfinished; their changes are queued again', { connectionId: this.connectionId, recovered });
    }
    let busyRounds = 0;
    let outcome: ListingFeedRunOutcome = 'COMPLETED';
    for (;;) {
      if (this.input.trigger === 'SCHEDULE' && !this.windowOverridden && !isWithinWindow(settings.window, workflowNowIso())) {
        outcome = 'WINDOW_CLOSED';
        break;
      }
      if (this.feedsThisRun >= this.tuning.maxFeedsPerRun || workflowInfo().continueAsNewSuggested) {
        await this.clearAllWaiters();
        await condition(allHandlersFinished);
        return continueAsNew<typeof listingFeed>({ ...this.input, carried: this.carry() });
      }
      this.phase = 'CLAIMING';
      const claim = await db.claimFeedChunk({
        connectionId: this.connectionId,
        feedRecordId: this.nextFeedRecordId(),
        maxSkus: this.feedSize(),
        pushSettleMs: ms(this.tuning.pushSettle),
        quietPeriodMs: ms(this.tuning.quietPeriod),
      });
      if (!claim.claimed) {
        if (claim.queued === 0) {
          if (this.totals.feeds === 0) outcome = 'NOTHING_QUEUED';
          break;
        }
        if (busyRounds >= this.tuning.maxBusyRounds) break;
        busyRounds++;
        this.phase = 'WAITING_FOR_QUIET_SKUS';
        await sleep(this.tuning.busyRetry);
        continue;
      }
      busyRounds = 0;
      this.sequence++;
      const stop = await this.sendChunk(claim.feedRecordId, claim.skus, claim.marketplaceId);
      if (stop) {
        outcome = stop;
        break;
      }
    }
    this.phase = 'DONE';
    return this.result(outcome, await db.countQueuedListingChanges({ connectionId: this.connectionId }));
  }

  /** One feed, start to finish. Returns a run outcome when the run must stop. */
  private async sendChunk(feedRecordId: string, skus: string[], marketplaceId: string): Promise<ListingFeedRunOutcome | null> {
    const chunk: Chunk = { feedRecordId, skus: new Set(skus), amazonFeedId: null, status: 'PREPARING', submittedAt: null, waiting: new Map() };
    this.current = chunk;
    try {
      // Build and upload, then lock the SKUs right before createFeed. SKUs whose stock is moving are taken
      // out and the document rebuilt; the rest stay locked, so this converges in a round or two.
      let prepared;
      for (let round = 1; ; round++) {
        this.phase = 'PREPARING';
        prepared = await withAccess(this.connectionId, () => amazon.prepareFeedDocument({ feedRecordId }), this.accessHooks());
        for (const sku of prepared.unbuildable) chunk.skus.delete(sku);
        if (prepared.empty) {
          await db.releaseFeedChunk({ feedRecordId, outcome: 'EMPTY', reason: 'nothing left to send', countAttempt: false });
          return null;
        }
        const { busy } = await db.lockFeedSkus({ feedRecordId, pushSettleMs: ms(this.tuning.pushSettle), quietPeriodMs: ms(this.tuning.quietPeriod) });
        const hot = [...new Set([...busy, ...chunk.waiting.keys()])];
        if (hot.length === 0) break;
        // Stock is moving in this part of the catalogue: smaller feeds are less likely to be hit.
        this.stockCap = Math.max(this.tuning.minSkusPerFeed, Math.ceil(chunk.skus.size / 2));
        const { requeued } = await db.releaseSkusFromChunk({ feedRecordId, skus: hot });
        this.totals.requeued += requeued;
        for (const sku of hot) chunk.skus.delete(sku);
        await this.clearChunkWaiters(chunk, 'RELEASED', hot);
        if (chunk.skus.size === 0 || round >= MAX_PREPARE_ROUNDS) {
          await db.releaseFeedChunk({ feedRecordId, outcome: 'EMPTY', reason: `stock kept moving for its SKUs while the document was built (${round} rounds)`, countAttempt: false });
          return null;
        }
      }
      const submitted = await withAccess(
        this.connectionId,
        () => amazon.submitFeed({ feedRecordId, feedDocumentId: prepared.feedDocumentId, marketplaceId }),
        this.accessHooks(),
      );
      chunk.amazonFeedId = submitted.amazonFeedId;
      chunk.submittedAt = workflowNowIso();
      chunk.status = 'IN_QUEUE';
      this.totals.feeds++;
      this.feedsThisRun++;
      return await this.followFeed(chunk);
    } finally {
      // No push may be left waiting on a chunk that is over (its SKUs are unlocked by now).
      chunk.status = 'FINISHING';
      await this.clearChunkWaiters(chunk, 'FINISHED');
      this.current = null;
    }
  }

  /** Polls Amazon on workflow timers until the feed ends, reacting to waiting pushes and the watchdog. */
  private async followFeed(chunk: Chunk): Promise<ListingFeedRunOutcome | null> {
    const amazonFeedId = chunk.amazonFeedId!;
    const submittedMs = instantOrThrow(chunk.submittedAt!, 'submittedAt');
    let warnedInProgress = false;
    let cancelRefused = false;
    for (;;) {
      this.phase = chunk.status === 'IN_PROGRESS' ? 'IN_PROGRESS' : 'IN_QUEUE';
      const waitingBefore = chunk.waiting.size;
      const interval = waitingBefore > 0 ? this.tuning.pollIntervalWhileHolding : this.tuning.pollInterval;
      // While the feed may still be IN_QUEUE, a push that waits makes us look (and cancel) at once.
      if (!(chunk.status === 'IN_QUEUE' && waitingBefore > 0 && !cancelRefused)) {
        await condition(() => chunk.status === 'IN_QUEUE' && chunk.waiting.size > waitingBefore, interval);
      }
      cancelRefused = false;
      const feed = await withAccess(this.connectionId, () => amazon.checkFeed({ connectionId: this.connectionId, feedRecordId: chunk.feedRecordId, amazonFeedId }), this.accessHooks());
      const elapsedMs = instantOrThrow(workflowNowIso(), 'now') - submittedMs;
      switch (feed.processingStatus) {
        case 'IN_QUEUE': {
          chunk.status = 'IN_QUEUE';
          if (chunk.waiting.size > 0) {
            const ended = await this.tryCancel(chunk, 'CANCELLED_FOR_STOCK');
            if (ended) return null;
            cancelRefused = true;
          } else if (elapsedMs > ms(this.tuning.stuckAfter)) {
            const ended = await this.tryCancel(chunk, 'STUCK_CANCELLED');
            if (ended) return this.afterStuckCancel(chunk);
          }
          break;
        }
        case 'IN_PROGRESS': {
          chunk.status = 'IN_PROGRESS';
          if (elapsedMs > ms(this.tuning.abandonAfter)) {
            await this.abandon(chunk, elapsedMs);
            return 'STOPPED_STUCK';
          }
          if (elapsedMs > ms(this.tuning.stuckAfter) && !warnedInProgress) {
            warnedInProgress = true;
            this.totals.stuckFeeds++;
            this.raiseAttention(
              `Amazon feed ${amazonFeedId} (${chunk.skus.size} listing changes) has been IN_PROGRESS for ${minutes(elapsedMs)} min; Amazon does not allow cancelling it now. ` +
                `Conduit waits until ${minutes(ms(this.tuning.abandonAfter))} min, then abandons it and leaves its changes queued for the next run.`,
            );
          }
          break;
        }
        case 'DONE':
        case 'FATAL': {
          chunk.status = 'FINISHING';
          this.phase = 'RECORDING';
          // Amazon no longer touches these SKUs: waiting pushes go now, before the report is read.
          await db.unlockFeedSkus({ feedRecordId: chunk.feedRecordId });
          await this.clearChunkWaiters(chunk, 'FINISHED');
          const results = await withAccess(
            this.connectionId,
            () => amazon.recordFeedResults({ feedRecordId: chunk.feedRecordId, processingStatus: feed.processingStatus, ...(feed.resultFeedDocumentId ? { resultFeedDocumentId: feed.resultFeedDocumentId } : {}) }),
            this.accessHooks(),
          );
          await this.clearChunkWaiters(chunk, 'FINISHED');
          this.totals.accepted += results.accepted;
          this.totals.rejected += results.rejected.length;
          this.totals.requeued += results.requeued;
          for (const r of results.rejected) {
            if (this.rejected.length < MAX_REJECTED_KEPT) this.rejected.push({ ...r, feedRecordId: chunk.feedRecordId });
          }
          if (results.rejected.length > 0) {
            this.raiseAttention(`Amazon rejected ${results.rejected.length} listing change(s) in feed ${amazonFeedId}: ${results.rejected.slice(0, 3).map((r) => `${r.sku} (${r.message})`).join('; ')}${results.rejected.length > 3 ? '; …' : ''}`);
          }
          if (feed.processingStatus === 'FATAL') this.raiseAttention(`Amazon feed ${amazonFeedId} ended FATAL: ${results.problem ?? 'no reason given'}; its changes were queued again.`);
          this.remember(chunk, feed.processingStatus === 'FATAL' ? 'FATAL' : 'DONE', results.accepted, results.rejected.length, results.requeued);
          this.stockCap = Math.min(this.tuning.maxSkusPerFeed, this.stockCap * 2);
          return null;
        }
        case 'CANCELLED': {
          chunk.status = 'FINISHING';
          const { requeued } = await db.releaseFeedChunk({ feedRecordId: chunk.feedRecordId, outcome: 'CANCELLED', reason: 'cancelled outside Conduit', countAttempt: false });
          this.totals.requeued += requeued;
          await this.clearChunkWaiters(chunk, 'FINISHED');
          this.remember(chunk, 'CANCELLED', 0, 0, requeued);
          return null;
        }
        default:
          throw ApplicationFailure.nonRetryable(`Unknown feed processingStatus ${feed.processingStatus}`);
      }
    }
  }

  /** cancelFeed (works only IN_QUEUE). True when the feed is cancelled and its SKUs are back in the queue. */
  private async tryCancel(chunk: Chunk, outcome: 'CANCELLED_FOR_STOCK' | 'STUCK_CANCELLED'): Promise<boolean> {
    const result = await withAccess(this.connectionId, () => amazon.cancelAmazonFeed({ connectionId: this.connectionId, amazonFeedId: chunk.amazonFeedId! }), this.accessHooks());
    if (!result.cancelled) {
      if (result.processingStatus === 'IN_PROGRESS') chunk.status = 'IN_PROGRESS';
      return false;
    }
    chunk.status = 'FINISHING';
    const reason =
      outcome === 'CANCELLED_FOR_STOCK'
        ? `cancelled while IN_QUEUE: FBM stock changed for ${[...chunk.waiting.keys()].slice(0, 5).join(', ')}`
        : `cancelled after ${this.tuning.stuckAfter} IN_QUEUE`;
    const { requeued } = await db.releaseFeedChunk({ feedRecordId: chunk.feedRecordId, outcome, reason, countAttempt: outcome === 'STUCK_CANCELLED' });
    this.totals.requeued += requeued;
    if (outcome === 'CANCELLED_FOR_STOCK') {
      this.totals.cancelledForStock++;
      this.stockCap = Math.max(this.tuning.minSkusPerFeed, Math.ceil(chunk.skus.size / 2));
    }
    await this.clearChunkWaiters(chunk, 'CANCELLED_FOR_STOCK');
    this.remember(chunk, outcome, 0, 0, requeued);
    log.info('listing feed cancelled', { connectionId: this.connectionId, amazonFeedId: chunk.amazonFeedId, outcome, requeued });
    return true;
  }

  /** After a stuck feed was cancelled: halve the feed size and tell the operator; stop after too many halvings. */
  private afterStuckCancel(chunk: Chunk): ListingFeedRunOutcome | null {
    this.totals.stuckFeeds++;
    this.halvings++;
    const size = chunk.skus.size;
    this.maxSkusPerFeed = Math.max(this.tuning.minSkusPerFeed, Math.ceil(Math.min(size, this.maxSkusPerFeed) / 2));
    if (this.halvings > this.tuning.maxHalvings) {
      this.raiseAttention(
        `Amazon feed ${chunk.amazonFeedId} was stuck IN_QUEUE for ${this.tuning.stuckAfter} and cancelled; Amazon's feed queue has been stuck ${this.halvings} times in this run, so Conduit stopped. ` +
          'The changes stay queued for the next run; check the feed status in Seller Central.',
      );
      return 'STOPPED_STUCK';
    }
    this.raiseAttention(
      `Amazon feed ${chunk.amazonFeedId} (${size} listing changes) was stuck IN_QUEUE for ${this.tuning.stuckAfter}: Conduit cancelled it and is resubmitting in feeds of at most ${this.maxSkusPerFeed}.`,
    );
    return null;
  }

  /** Gives up on a feed stuck IN_PROGRESS: its SKUs are freed (pushes then wait on Amazon's side only) and stay queued. */
  private async abandon(chunk: Chunk, elapsedMs: number): Promise<void> {
    chunk.status = 'FINISHING';
    const { requeued } = await db.releaseFeedChunk({
      feedRecordId: chunk.feedRecordId,
      outcome: 'ABANDONED',
      reason: `IN_PROGRESS for ${minutes(elapsedMs)} min`,
      countAttempt: true,
    });
    this.totals.requeued += requeued;
    await this.clearChunkWaiters(chunk, 'FINISHED');
    this.remember(chunk, 'ABANDONED', 0, 0, requeued);
    this.raiseAttention(
      `Amazon feed ${chunk.amazonFeedId} stayed IN_PROGRESS for ${minutes(elapsedMs)} min and was abandoned (Amazon cannot cancel a feed in progress). ` +
        `Its ${requeued} changes stay queued; no further feeds were sent in this run because Amazon queues them behind the stuck one. ` +
        'Check the feed in Seller Central; stock pushes for its SKUs may wait on Amazon until it ends.',
    );
  }

  /** A push is waiting for `waiting.sku`; true when the chunk in flight holds that SKU. */
  hold(waiting: StockWaitingForFeed): boolean {
    const chunk = this.current;
    if (!chunk || chunk.status === 'FINISHING' || chunk.feedRecordId !== waiting.feedRecordId || !chunk.skus.has(waiting.sku)) return false;
    const list = chunk.waiting.get(waiting.sku) ?? [];
    if (!list.some((w) => w.pushWorkflowId === waiting.pushWorkflowId)) list.push(waiting);
    chunk.waiting.set(waiting.sku, list);
    return true;
  }

  /** Tells waiting push workflows to go ahead. */
  async clear(waiters: StockWaitingForFeed[], how: FeedCleared['how']): Promise<void> {
    if (how === 'FINISHED') this.totals.pushesHeld += waiters.length;
    else this.totals.pushesReleased += waiters.length;
    await Promise.all(
      waiters.map(async (w) => {
        try {
          await getExternalWorkflowHandle(w.pushWorkflowId).signal(feedClearedSignal, { sku: w.sku, feedRecordId: w.feedRecordId, how });
        } catch (err) {
          // The push workflow ended meanwhile; its next run takes the (now free) lock itself.
          log.info('push workflow gone before feedCleared', { pushWorkflowId: w.pushWorkflowId, error: String(err) });
        }
      }),
    );
  }

  private async clearChunkWaiters(chunk: Chunk, how: FeedCleared['how'], skus?: string[]): Promise<void> {
    const keys = skus ?? [...chunk.waiting.keys()];
    const waiters: StockWaitingForFeed[] = [];
    for (const sku of keys) {
      waiters.push(...(chunk.waiting.get(sku) ?? []));
      chunk.waiting.delete(sku);
    }
    await this.clear(waiters, how);
  }

  async clearAllWaiters(): Promise<void> {
    if (this.current) await this.clearChunkWaiters(this.current, 'FINISHED');
  }

  private accessHooks() {
    return {
      onBlocked: (scope: string) => this.raiseAttention(`Bulk feed blocked: the ${scope} role was refused; waiting for the seller to re-authorise`),
    };
  }

  private raiseAttention(message: string): void {
    this.attention.push(`${workflowNowIso()} ${message}`);
    if (this.attention.length > 50) this.attention.splice(0, this.attention.length - 50);
    log.warn('listing feed needs attention', { connectionId: this.connectionId, message });
    if (indexed()) {
      upsertSearchAttributes([
        { key: NeedsAttentionKey, value: true },
        ...(this.rejected.length > 0 ? [{ key: SkusKey, value: [...new Set(this.rejected.map((r) => r.sku))].slice(0, MAX_SKUS_IN_SEARCH_ATTRIBUTE) }] : []),
      ]);
    }
  }

  private remember(chunk: Chunk, outcome: FeedOutcome, accepted: number, rejected: number, requeued: number): void {
    this.feeds.push({
      feedRecordId: chunk.feedRecordId,
      amazonFeedId: chunk.amazonFeedId,
      skus: chunk.skus.size,
      outcome,
      accepted,
      rejected,
      requeued,
      submittedAt: chunk.submittedAt,
      finishedAt: workflowNowIso(),
    });
    if (this.feeds.length > MAX_FEEDS_SHOWN) this.feeds.splice(0, this.feeds.length - MAX_FEEDS_SHOWN);
  }

  /** SKUs to claim for the next feed. */
  feedSize(): number {
    return Math.max(1, Math.min(this.maxSkusPerFeed, this.stockCap));
  }

  private nextFeedRecordId(): string {
    return `${this.connectionId}:${workflowInfo().runId.slice(0, 8)}:${this.sequence + 1}`;
  }

  private carry(): CarriedFeedRun {
    return {
      totals: this.totals,
      maxSkusPerFeed: this.maxSkusPerFeed,
      stockCap: this.stockCap,
      halvings: this.halvings,
      attention: this.attention,
      rejected: this.rejected,
      feeds: this.feeds,
      startedAt: this.startedAt,
      windowOverridden: this.windowOverridden,
    };
  }

  status(): ListingFeedStatus {
    const c = this.current;
    return {
      connectionId: this.connectionId,
      trigger: this.input.trigger,
      requestedBy: this.input.requestedBy ?? null,
      windowOverridden: this.windowOverridden,
      window: this.window,
      phase: this.phase,
      current: c
        ? { feedRecordId: c.feedRecordId, amazonFeedId: c.amazonFeedId, skus: c.skus.size, status: c.status, submittedAt: c.submittedAt, waitingPushes: [...c.waiting.keys()] }
        : null,
      maxSkusPerFeed: this.feedSize(),
      totals: { ...this.totals },
      feeds: [...this.feeds],
      needsAttention: this.attention.length > 0,
      attention: [...this.attention],
    };
  }

  private result(outcome: ListingFeedRunOutcome, stillQueued: number): ListingFeedResult {
    return { connectionId: this.connectionId, outcome, totals: { ...this.totals }, rejected: [...this.rejected], stillQueued, attention: [...this.attention] };
  }
}

// Starters index the workflow with ConduitConnection; only then are the search attributes known to be registered.
const indexed = (): boolean => workflowInfo().typedSearchAttributes.get(ConnectionKey) !== undefined;

const UNIT_MS: Record<string, number> = { ms: 1, millisecond: 1, milliseconds: 1, s: 1000, second: 1000, seconds: 1000, m: 60_000, minute: 60_000, minutes: 60_000, h: 3_600_000, hour: 3_600_000, hours: 3_600_000, d: 86_400_000, day: 86_400_000, days: 86_400_000 };

/** Milliseconds of a Duration ('5 minutes', '30s', 1500). */
export function ms(duration: Duration): number {
  if (typeof duration === 'number') return duration;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(String(duration));
  const unit = match ? UNIT_MS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) throw ApplicationFailure.nonRetryable(`Not a duration: ${String(duration)}`);
  return Number(match[1]) * unit;
}

const minutes = (milliseconds: number): number => Math.round(milliseconds / 6_000) / 10;
