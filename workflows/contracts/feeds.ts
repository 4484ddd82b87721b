/**
 * Contract for bulk listing feeds (titles, descriptions, prices as JSON_LISTINGS_FEED): the one
 * feed workflow per connection, the schedule tick that starts it inside the off-peak window, and
 * the hand-shake with the per-SKU FBM push workflows that keeps a feed from ever stalling stock.
 *
 * The hand-shake: a SKU's listing on Amazon is owned either by an in-flight feed or by a recent
 * FBM push (table `sku_feed_locks`). A push that finds its SKU inside an in-flight feed sends
 * `stockWaitingForFeed` to the feed workflow and waits for `feedCleared`; the feed workflow
 * cancels the feed if Amazon still has it IN_QUEUE (and resubmits without that SKU), or lets the
 * push go the moment the feed finishes. The push is never sent into Amazon's feed queue, so the
 * guide's 30–90-minute stall cannot happen.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { DailyWindow } from '../../domain/schedule';
import { scheduleId } from './schedules';

export const LISTING_FEED_WORKFLOW_TYPE = 'listingFeed';
export const LISTING_FEED_TICK_WORKFLOW_TYPE = 'listingFeedTick';

/** `listing-feed:<connection>`: the one feed run of a connection; a second start joins it (USE_EXISTING). */
export const listingFeedWorkflowId = (connectionId: string): string => `listing-feed:${connectionId}`;
/** Prefix of the schedule's tick runs (Temporal appends the scheduled time). */
export const listingFeedTickWorkflowId = (connectionId: string): string => `listing-feed-tick:${connectionId}`;
/** The connection's listing-feed Schedule. */
export const listingFeedScheduleId = (connectionId: string): string => scheduleId('listing-feed', connectionId);

/** SCHEDULE runs stay inside the off-peak window; OPERATOR runs (`listings run-feed-now`) may override it. */
export type FeedTrigger = 'SCHEDULE' | 'OPERATOR';

/** Tuning, overridable per start (tests use seconds); defaults suit production. */
export interface ListingFeedTuning {
  /** Most SKUs in one feed. Small feeds keep a cancel cheap and the set of SKUs exposed to a collision small (halved after a cancel, doubled back after a clean feed). */
  maxSkusPerFeed?: number;
  /** Halving a stuck feed stops here. */
  minSkusPerFeed?: number;
  /** getFeed poll interval while nobody waits. */
  pollInterval?: Duration;
  /** getFeed poll interval while an FBM push waits for the feed. */
  pollIntervalWhileHolding?: Duration;
  /** A feed IN_QUEUE or IN_PROGRESS longer than this is stuck (watchdog). */
  stuckAfter?: Duration;
  /** An IN_PROGRESS feed (which cannot be cancelled) is abandoned after this long. */
  abandonAfter?: Duration;
  /** A SKU is not put in a feed until this long after its last FBM push (Amazon applies accepted pushes asynchronously). */
  pushSettle?: Duration;
  /** A SKU whose FBM stock moved this recently is deferred to a later feed (it is likely to move again). */
  quietPeriod?: Duration;
  /** When every remaining change is deferred, look again after this long. */
  busyRetry?: Duration;
  /** Give up on deferred changes after this many looks (they stay queued for the next run). */
  maxBusyRounds?: number;
  /** Stop the run after this many halvings of stuck feeds. */
  maxHalvings?: number;
  /** Continue-as-new after this many feeds (keeps history small for very large catalogues). */
  maxFeedsPerRun?: number;
}

export const DEFAULT_FEED_TUNING = {
  maxSkusPerFeed: 200,
  minSkusPerFeed: 10,
  pollInterval: '30 seconds',
  pollIntervalWhileHolding: '5 seconds',
  stuckAfter: '2 hours',
  abandonAfter: '6 hours',
  pushSettle: '5 minutes',
  quietPeriod: '2 minutes',
  busyRetry: '2 minutes',
  maxBusyRounds: 10,
  maxHalvings: 4,
  maxFeedsPerRun: 40,
} as const satisfies Required<ListingFeedTuning>;

export interface ListingFeedInput {
  connectionId: string;
  trigger: FeedTrigger;
  /** OPERATOR only: run even outside the feed window (recorded in the input, the history and the status). */
  overrideWindow?: boolean;
  /** Operator name or 'schedule'; no secrets. */
  requestedBy?: string;
  tuning?: ListingFeedTuning;
  /** Set by continue-as-new only. */
  carried?: CarriedFeedRun;
}

/** What a run carries across continue-as-new (plain JSON). */
export interface CarriedFeedRun {
  totals: FeedTotals;
  maxSkusPerFeed: number;
  stockCap: number;
  halvings: number;
  attention: string[];
  rejected: RejectedListing[];
  feeds: FeedSummary[];
  startedAt: string;
  windowOverridden: boolean;
}

// ---------------------------------------------------------------------------------------------
// The push ↔ feed hand-shake.

/** Sent by a SKU's push workflow that found its SKU inside an in-flight feed. */
export interface StockWaitingForFeed {
  sku: string;
  /** Where to send `feedCleared`. */
  pushWorkflowId: string;
  /** The feed record the lock named (Conduit's id, not Amazon's). */
  feedRecordId: string;
  at: string;
}

export const stockWaitingSignal = defineSignal<[StockWaitingForFeed]>('stockWaitingForFeed');

/** Sent by the feed workflow to a waiting push workflow: the SKU is no longer in a feed; push now. */
export interface FeedCleared {
  sku: string;
  feedRecordId: string;
  /** CANCELLED_FOR_STOCK (feed cancelled while IN_QUEUE), FINISHED, RELEASED (taken out before submission), NOT_HELD. */
  how: 'CANCELLED_FOR_STOCK' | 'FINISHED' | 'RELEASED' | 'NOT_HELD';
}

export const feedClearedSignal = defineSignal<[FeedCleared]>('feedCleared');

// ---------------------------------------------------------------------------------------------
// Status.

export type FeedRunPhase =
  | 'STARTING'
  | 'OUTSIDE_WINDOW'
  | 'CLAIMING'
  | 'PREPARING'
  | 'IN_QUEUE'
  | 'IN_PROGRESS'
  | 'RECORDING'
  | 'WAITING_FOR_QUIET_SKUS'
  | 'DONE';

export type FeedOutcome = 'DONE' | 'FATAL' | 'CANCELLED_FOR_STOCK' | 'STUCK_CANCELLED' | 'ABANDONED' | 'CANCELLED' | 'EMPTY';

/** One submitted (or abandoned) feed of the run. */
export interface FeedSummary {
  feedRecordId: string;
  amazonFeedId: string | null;
  skus: number;
  outcome: FeedOutcome;
  accepted: number;
  rejected: number;
  requeued: number;
  submittedAt: string | null;
  finishedAt: string;
}

export interface FeedTotals {
  feeds: number;
  accepted: number;
  rejected: number;
  /** Changes put back in the queue (cancelled feeds, unprocessed messages, SKUs taken out for a push). */
  requeued: number;
  /** Feeds cancelled while IN_QUEUE because a SKU in them had a stock change. */
  cancelledForStock: number;
  /** FBM pushes that waited for an IN_PROGRESS feed of this run to finish. */
  pushesHeld: number;
  /** FBM pushes released at once (feed cancelled, SKU taken out before submission, or not held). */
  pushesReleased: number;
  stuckFeeds: number;
}

/** A change Amazon refused, with Amazon's reason: needs attention. */
export interface RejectedListing {
  sku: string;
  message: string;
  feedRecordId: string;
}

export interface ListingFeedStatus {
  connectionId: string;
  trigger: FeedTrigger;
  requestedBy: string | null;
  windowOverridden: boolean;
  window: DailyWindow | null;
  phase: FeedRunPhase;
  current: { feedRecordId: string; amazonFeedId: string | null; skus: number; status: string; submittedAt: string | null; waitingPushes: string[] } | null;
  maxSkusPerFeed: number;
  totals: FeedTotals;
  /** The latest feeds of the run (bounded). */
  feeds: FeedSummary[];
  needsAttention: boolean;
  attention: string[];
}

export const listingFeedStatusQuery = defineQuery<ListingFeedStatus>('listingFeedStatus');
/** The run's rejected listing changes with Amazon's reasons (the needs-attention list). */
export const rejectedListingsQuery = defineQuery<RejectedListing[]>('rejectedListings');

export type ListingFeedRunOutcome = 'COMPLETED' | 'REFUSED_OUTSIDE_WINDOW' | 'WINDOW_CLOSED' | 'STOPPED_STUCK' | 'NOTHING_QUEUED';

export interface ListingFeedResult {
  connectionId: string;
  outcome: ListingFeedRunOutcome;
  totals: FeedTotals;
  rejected: RejectedListing[];
  /** Changes still queued (deferred SKUs, stuck feeds) for the next run. */
  stillQueued: number;
  attention: string[];
}

export interface ListingFeedTickInput {
  connectionId: string;
  tuning?: ListingFeedTuning;
}

export interface ListingFeedTickResult {
  started: boolean;
  /** Why not: a feed run is already in flight for the connection. */
  reason?: string;
}

/** What the pre-launch checklist reads about bulk feed scheduling (checklist item 7). */
export interface ListingFeedScheduleInfo {
  connectionId: string;
  scheduleId: string;
  window: DailyWindow;
  windowText: string;
  windowIsDefault: boolean;
  overlapsPeakHours: boolean;
  /** The schedule spec Conduit writes: a tick at :00 of each window hour, UK time. */
  spec: { calendars: Array<{ hour: number[]; minute: number; comment: string }>; timezone: 'Europe/London' };
  scheduleExists: boolean;
  paused: boolean;
  /** Conduit never sends a push into a feed in flight for the same SKU, and never sends quantities in feeds. */
  stockPushesHeldDuringFeeds: true;
}
