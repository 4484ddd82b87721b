import { iso, DAY } from './clock';
import type { AmazonSimulator } from './simulator';
import type { SimEvent } from './event-queue';
import { invalidInput, notFound } from './api-error';
import type { CallerContext } from './auth';
import { formatIssues } from './model-validator';
import { unknownSkuIssue, type ListingEdit, type ListingIssue, type PatchOperation } from './listings';
import type { PendingQuantityChange, Seller, SimFeed } from './state';

export const SUPPORTED_FEED_TYPES = ['JSON_LISTINGS_FEED'];
const FEED_SCHEMA = 'feeds/listings-feed-schema-v2.json';
const MESSAGE_SCHEMA = 'feeds/listings-feed-message-schema-v2.json';
const REPORT_SCHEMA = 'feeds/listings-feed-processing-report-schema-v2.json';

interface ReportIssue {
  messageId?: number;
  sku?: string;
  code: string;
  severity: 'ERROR' | 'WARNING' | 'INFO';
  message: string;
  attributeName?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** SKUs a JSON_LISTINGS_FEED document names, and those whose DEFAULT quantity it changes. */
function skusOf(content: Buffer | undefined): { touched: string[]; quantity: string[] } {
  const touched = new Set<string>();
  const quantity = new Set<string>();
  if (!content) return { touched: [], quantity: [] };
  try {
    const doc = JSON.parse(content.toString('utf8')) as unknown;
    const messages = isRecord(doc) && Array.isArray(doc.messages) ? doc.messages : [];
    for (const m of messages) {
      if (!isRecord(m) || typeof m.sku !== 'string') continue;
      touched.add(m.sku);
      const text = JSON.stringify([m.patches, m.attributes]);
      if (text.includes('fulfillment_availability') || m.operationType === 'DELETE') quantity.add(m.sku);
    }
  } catch {
    // Unparseable: it will go FATAL when processed.
  }
  return { touched: [...touched], quantity: [...quantity] };
}

/**
 * Feeds 2021-06-30. Feeds of one seller are processed one at a time in creation order
 * (IN_QUEUE → IN_PROGRESS → DONE/FATAL). A quantity change for a SKU that a pending feed touches
 * waits for that feed, and stalls the feed to 30–90 min (the guide's bulk-feed collision).
 */
export class FeedsService {
  private startEvents = new Map<string, SimEvent>();
  private finishEvents = new Map<string, SimEvent>();

  constructor(private readonly sim: AmazonSimulator) {}

  private get core() {
    return this.sim.core;
  }

  get(feedId: string): SimFeed | undefined {
    return this.core.state.feeds.get(feedId);
  }

  forCaller(caller: CallerContext, feedId: string): SimFeed {
    const feed = this.get(feedId);
    if (!feed || feed.sellerId !== caller.seller?.sellerId) throw notFound(`Feed ${feedId} was not found.`);
    return feed;
  }

  reset(): void {
    this.startEvents.clear();
    this.finishEvents.clear();
  }

  createFeedDocument(seller: Seller, contentType: string): { feedDocumentId: string; url: string } {
    const doc = this.sim.documents.create(seller.sellerId, 'feed-input', contentType);
    return { feedDocumentId: doc.documentId, url: this.sim.documents.presign(doc, 'PUT') };
  }

  getFeedDocument(seller: Seller, feedDocumentId: string): { feedDocumentId: string; url: string } {
    const doc = this.sim.documents.get(feedDocumentId);
    if (!doc || doc.sellerId !== seller.sellerId || doc.kind === 'report') throw notFound(`Feed document ${feedDocumentId} was not found.`);
    return { feedDocumentId: doc.documentId, url: this.sim.documents.presign(doc, 'GET') };
  }

  create(caller: CallerContext, seller: Seller, body: { feedType: string; marketplaceIds: string[]; inputFeedDocumentId: string; feedOptions?: Record<string, string> }): SimFeed {
    const doc = this.sim.documents.get(body.inputFeedDocumentId);
    if (!doc || doc.sellerId !== seller.sellerId || doc.kind !== 'feed-input') {
      throw invalidInput(`Invalid inputFeedDocumentId: ${body.inputFeedDocumentId} is not a feed document of this selling partner.`);
    }
    const { touched, quantity } = skusOf(doc.content);
    const feed: SimFeed = {
      feedId: `${this.core.rng('ids').int(5, 9)}${this.core.rng('ids').digits(10)}`,
      sellerId: seller.sellerId,
      clientId: caller.app.clientId,
      feedType: body.feedType,
      marketplaceIds: body.marketplaceIds,
      inputFeedDocumentId: body.inputFeedDocumentId,
      feedOptions: body.feedOptions,
      createdAt: this.core.now(),
      status: 'IN_QUEUE',
      touchedSkus: touched,
      queueMs: this.core.randomIn(this.core.options.feedQueueMs),
      processingMs: this.core.randomIn(this.core.options.feedRunMs),
      collisions: [],
      blockedChangeIds: [],
    };
    // A quantity change in this feed collides with an earlier feed still touching the same SKU.
    for (const sku of quantity) {
      const other = this.pendingFeedTouching(seller.sellerId, sku);
      if (other) this.collide(other, sku);
    }
    this.core.state.feeds.set(feed.feedId, feed);
    this.pump(seller.sellerId);
    return feed;
  }

  /** The earliest IN_QUEUE / IN_PROGRESS feed of the seller that names `sku`. */
  pendingFeedTouching(sellerId: string, sku: string, exceptFeedId?: string): SimFeed | undefined {
    return [...this.core.state.feeds.values()]
      .filter((f) => f.sellerId === sellerId && f.feedId !== exceptFeedId && (f.status === 'IN_QUEUE' || f.status === 'IN_PROGRESS') && f.touchedSkus.includes(sku))
      .sort((a, b) => a.createdAt - b.createdAt)[0];
  }

  /** A quantity change for `sku` hit `feed` while pending: the feed stalls to 30–90 min after creation. */
  collide(feed: SimFeed, sku: string, change?: PendingQuantityChange): void {
    const now = this.core.now();
    feed.collisions.push({ sku, at: now, source: change?.source ?? 'feed' });
    if (change) feed.blockedChangeIds.push(change.id);
    if (feed.stalledUntil === undefined) {
      feed.stalledUntil = Math.max(now, feed.createdAt + this.core.randomIn(this.core.options.feedCollisionMs));
    }
  }

  private isStuck(feed: SimFeed, status: 'IN_QUEUE' | 'IN_PROGRESS'): boolean {
    const stuck = this.core.state.stuckFeeds;
    return stuck !== null && stuck.status === status && (stuck.sellerId === undefined || stuck.sellerId === feed.sellerId);
  }

  /** Starts the seller's next queued feed when nothing is in progress. */
  private pump(sellerId: string): void {
    const feeds = [...this.core.state.feeds.values()].filter((f) => f.sellerId === sellerId);
    if (feeds.some((f) => f.status === 'IN_PROGRESS')) return;
    const head = feeds.filter((f) => f.status === 'IN_QUEUE').sort((a, b) => a.createdAt - b.createdAt || (a.feedId < b.feedId ? -1 : 1))[0];
    if (!head || this.startEvents.has(head.feedId)) return;
    const at = Math.max(this.core.now(), head.createdAt + head.queueMs);
    this.startEvents.set(
      head.feedId,
      this.core.schedule(at, `feed ${head.feedId} starts`, () => {
        this.startEvents.delete(head.feedId);
        if (head.status !== 'IN_QUEUE' || this.isStuck(head, 'IN_QUEUE')) return;
        head.status = 'IN_PROGRESS';
        head.processingStartAt = this.core.now();
        this.scheduleFinish(head);
      }),
    );
  }

  private scheduleFinish(feed: SimFeed): void {
    if (this.finishEvents.has(feed.feedId)) return;
    const planned = Math.max((feed.processingStartAt ?? this.core.now()) + feed.processingMs, feed.stalledUntil ?? 0);
    this.finishEvents.set(
      feed.feedId,
      this.core.schedule(Math.max(planned, this.core.now()), `feed ${feed.feedId} finishes`, () => {
        this.finishEvents.delete(feed.feedId);
        if (feed.status !== 'IN_PROGRESS' || this.isStuck(feed, 'IN_PROGRESS')) return;
        if (feed.stalledUntil !== undefined && feed.stalledUntil > this.core.now()) {
          this.scheduleFinish(feed);
          return;
        }
        this.finish(feed);
      }),
    );
  }

  /** After the stuck knob is released: restart whatever was held. */
  resume(): void {
    for (const feed of this.core.state.feeds.values()) {
      if (feed.status === 'IN_PROGRESS') this.scheduleFinish(feed);
    }
    for (const sellerId of new Set([...this.core.state.feeds.values()].map((f) => f.sellerId))) this.pump(sellerId);
  }

  cancel(feed: SimFeed): void {
    if (feed.status !== 'IN_QUEUE') {
      throw invalidInput(`Feed ${feed.feedId} cannot be cancelled: its processingStatus is ${feed.status}; only IN_QUEUE feeds can be cancelled.`);
    }
    const start = this.startEvents.get(feed.feedId);
    if (start) start.cancelled = true;
    this.startEvents.delete(feed.feedId);
    feed.status = 'CANCELLED';
    feed.processingEndAt = this.core.now();
    this.sim.listings.releaseBlocked(feed.feedId, feed.blockedChangeIds);
    this.pump(feed.sellerId);
  }

  private finish(feed: SimFeed): void {
    const seller = this.core.state.sellers.get(feed.sellerId);
    const doc = this.sim.documents.get(feed.inputFeedDocumentId);
    const result = seller ? this.process(feed, seller, doc?.content) : { fatal: true, report: this.fatalReport(feed, 'The selling partner no longer exists.') };
    const issues = this.core.models.validateAgainstSchemaFile(REPORT_SCHEMA, result.report);
    if (issues.length > 0) console.error(`[simulator] processing report of feed ${feed.feedId} violates its schema: ${formatIssues(issues)}`);
    const resultDoc = this.sim.documents.create(feed.sellerId, 'feed-result', 'application/json', Buffer.from(JSON.stringify(result.report, null, 2)));
    feed.status = result.fatal ? 'FATAL' : 'DONE';
    feed.processingEndAt = this.core.now();
    feed.resultFeedDocumentId = resultDoc.documentId;
    this.sim.listings.releaseBlocked(feed.feedId, feed.blockedChangeIds);
    this.pump(feed.sellerId);
  }

  private header(feed: SimFeed, report?: unknown): Record<string, unknown> {
    const header: Record<string, unknown> = { sellerId: feed.sellerId, version: '2.0', feedId: feed.feedId };
    if (isRecord(report)) header.report = report;
    return header;
  }

  private fatalReport(feed: SimFeed, message: string, code = '4002001'): Record<string, unknown> {
    return {
      header: this.header(feed),
      issues: [{ code, severity: 'ERROR', message }],
      summary: { errors: 1, warnings: 0, messagesProcessed: 0, messagesAccepted: 0, messagesInvalid: 0 },
    };
  }

  /** Validates and applies a JSON_LISTINGS_FEED document; returns its processing report. */
  private process(feed: SimFeed, seller: Seller, content: Buffer | undefined): { fatal: boolean; report: Record<string, unknown> } {
    if (!content || content.length === 0) return { fatal: true, report: this.fatalReport(feed, "Item 'Feed' cannot be parsed. The feed document is empty or was never uploaded.") };
    let doc: unknown;
    try {
      doc = JSON.parse(content.toString('utf8'));
    } catch (err) {
      return { fatal: true, report: this.fatalReport(feed, `Item 'Feed' cannot be parsed. ${err instanceof Error ? err.message : ''}`.trim()) };
    }
    // Document-level structure first (messages are validated one by one below).
    const { schema } = this.core.models.schemaFile(FEED_SCHEMA);
    const envelope = { ...(schema as Record<string, unknown>), properties: { ...((schema as Record<string, Record<string, unknown>>).properties ?? {}) } };
    (envelope.properties as Record<string, unknown>).messages = { type: 'array', minItems: 1, maxItems: 25000, items: { type: 'object' } };
    const envelopeIssues = this.core.models.schemaFile(FEED_SCHEMA).validator.validate(envelope, doc);
    if (envelopeIssues.length > 0) {
      return { fatal: true, report: this.fatalReport(feed, `Item 'Feed' cannot be parsed. ${formatIssues(envelopeIssues)}`) };
    }
    const feedDoc = doc as { header: Record<string, unknown>; messages: Record<string, unknown>[] };
    if (feedDoc.header.sellerId !== seller.sellerId) {
      return { fatal: true, report: this.fatalReport(feed, `The sellerId ${String(feedDoc.header.sellerId)} in the feed header does not match the selling partner ${seller.sellerId} that submitted the feed.`) };
    }

    const issues: ReportIssue[] = [];
    const accepted: string[] = [];
    const seen = new Set<number>();
    let invalid = 0;
    for (const message of feedDoc.messages) {
      const messageId = typeof message.messageId === 'number' ? message.messageId : undefined;
      const sku = typeof message.sku === 'string' ? message.sku : undefined;
      const at = (list: ListingIssue[] | ReportIssue[]): void => {
        for (const issue of list) {
          const entry: ReportIssue = { code: issue.code, severity: issue.severity, message: issue.message };
          if (messageId !== undefined && messageId >= 1) entry.messageId = messageId;
          if (sku) entry.sku = sku;
          const attributeName = 'attributeNames' in issue ? issue.attributeNames?.[0] : (issue as ReportIssue).attributeName;
          if (attributeName) entry.attributeName = attributeName;
          issues.push(entry);
        }
      };
      const schemaIssues = this.core.models.validateAgainstSchemaFile(MESSAGE_SCHEMA, message);
      if (schemaIssues.length > 0) {
        at(schemaIssues.map((i) => ({ code: '4000001', severity: 'ERROR' as const, message: `The message does not conform to the listings feed message schema: ${i.path.replace(/^\$/, 'message')} ${i.message}` })));
        invalid++;
        continue;
      }
      if (messageId !== undefined && seen.has(messageId)) {
        at([{ code: '4000001', severity: 'ERROR', message: `messageId ${messageId} is used more than once in this feed.` }]);
        invalid++;
        continue;
      }
      if (messageId !== undefined) seen.add(messageId);
      const outcome = this.applyMessage(feed, seller, message);
      if (outcome.length > 0) {
        at(outcome);
        invalid++;
      } else if (sku) accepted.push(sku);
    }

    const report: Record<string, unknown> = {
      header: this.header(feed, feedDoc.header.report),
      issues,
      summary: {
        errors: issues.filter((i) => i.severity === 'ERROR').length,
        warnings: issues.filter((i) => i.severity === 'WARNING').length,
        messagesProcessed: feedDoc.messages.length,
        messagesAccepted: feedDoc.messages.length - invalid,
        messagesInvalid: invalid,
      },
    };
    const includedData = isRecord(feedDoc.header.report) && Array.isArray(feedDoc.header.report.includedData) ? (feedDoc.header.report.includedData as string[]) : [];
    if (includedData.length > 0) {
      const items = [...new Set(accepted)]
        .map((sku) => this.sim.listings.get(seller.sellerId, sku))
        .filter((l): l is NonNullable<typeof l> => l !== undefined)
        .map((l) => this.sim.listings.render(l, includedData, feed.marketplaceIds));
      report.items = items;
      (report.summary as Record<string, unknown>).itemSummary = { items: items.length, errors: 0, warnings: 0 };
    }
    return { fatal: false, report };
  }

  private applyMessage(feed: SimFeed, seller: Seller, message: Record<string, unknown>): ListingIssue[] {
    const sku = String(message.sku);
    const operation = String(message.operationType);
    const listing = this.sim.listings.get(seller.sellerId, sku);
    const listings = this.sim.listings;
    if (operation === 'DELETE') {
      if (!listing) return [unknownSkuIssue(sku, feed.marketplaceIds)];
      listings.delete(listing);
      return [];
    }
    if (!listing && operation !== 'UPDATE') return [unknownSkuIssue(sku, feed.marketplaceIds)];
    const typeIssues = listings.checkProductType(message.productType, listing);
    if (typeIssues.length > 0) return typeIssues;
    const { issues, edit } =
      operation === 'PATCH'
        ? listings.validatePatches(seller.region, message.patches as PatchOperation[])
        : listings.validateAttributes(seller.region, message.attributes);
    if (issues.length > 0) return issues;
    const target = listing ?? listings.create(seller, sku, String(message.productType), edit);
    this.applyEdit(feed, target, edit, operation === 'UPDATE');
    return [];
  }

  private applyEdit(feed: SimFeed, listing: NonNullable<ReturnType<AmazonSimulator['listings']['get']>>, edit: ListingEdit, replaceAll: boolean): void {
    this.sim.listings.applyAttributes(listing, edit, replaceAll);
    if (edit.quantity !== undefined) {
      this.sim.listings.applyQuantityNow(listing, edit.quantity, 'feed', feed.createdAt, { feedId: feed.feedId });
    }
  }

  render(feed: SimFeed): Record<string, unknown> {
    const out: Record<string, unknown> = {
      feedId: feed.feedId,
      feedType: feed.feedType,
      marketplaceIds: feed.marketplaceIds,
      createdTime: iso(feed.createdAt),
      processingStatus: feed.status,
    };
    if (feed.processingStartAt !== undefined) out.processingStartTime = iso(feed.processingStartAt);
    if (feed.processingEndAt !== undefined) out.processingEndTime = iso(feed.processingEndAt);
    if (feed.resultFeedDocumentId) out.resultFeedDocumentId = feed.resultFeedDocumentId;
    return out;
  }

  /** getFeeds filter (after parameter validation). */
  list(sellerId: string, filter: { feedTypes: string[]; marketplaceIds?: string[]; processingStatuses?: string[]; createdSince?: number; createdUntil?: number }): SimFeed[] {
    const since = filter.createdSince ?? this.core.now() - 90 * DAY;
    const until = filter.createdUntil ?? this.core.now();
    return [...this.core.state.feeds.values()]
      .filter(
        (f) =>
          f.sellerId === sellerId &&
          filter.feedTypes.includes(f.feedType) &&
          (!filter.marketplaceIds || f.marketplaceIds.some((m) => filter.marketplaceIds?.includes(m))) &&
          (!filter.processingStatuses || filter.processingStatuses.includes(f.status)) &&
          f.createdAt >= since &&
          f.createdAt <= until,
      )
      .sort((a, b) => b.createdAt - a.createdAt || (a.feedId < b.feedId ? 1 : -1));
  }

  readBack(feed: SimFeed): Record<string, unknown> {
    return {
      ...this.render(feed),
      sellerId: feed.sellerId,
      touchedSkus: feed.touchedSkus,
      stalledUntil: feed.stalledUntil !== undefined ? iso(feed.stalledUntil) : undefined,
      collisions: feed.collisions.map((c) => ({ ...c, at: iso(c.at) })),
      blockedChangeIds: feed.blockedChangeIds,
    };
  }
}
