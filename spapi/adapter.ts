/**
 * SpApiPort on the `amazon-sp-api` package (1.2.1).
 *
 * Every operation goes through `call()`: take a token from the shared Postgres bucket, send the
 * request with `raw_result: true` (so the HTTP status and x-amzn-RateLimit-Limit survive —
 * amazon-sp-api drops both otherwise), refresh the access token once if Amazon says it expired,
 * classify any failure into the closed SpApiError set, validate a success against the model's
 * zod schema, and append one channel_log row. Retries belong to Temporal: the client's own
 * throttle retry and network retry are off. See docs/spapi.md.
 */
import { asyncLocalStorage } from '@temporalio/activity';
import { SellingPartner } from 'amazon-sp-api';
import type { z } from 'zod';
import type { Db } from '../db/client';
import { scopeForOperation, scopeForReport, type ReportType, type Scope, type SpApiOperation } from '../domain/scopes';
import { createChannelLog, type ChannelLog, type DocumentTransfer } from './channel-log';
import { classifySpApiFailure, type HttpFailure } from './classify';
import { SpApiError } from './errors';
import type {
  AmazonOrder,
  ConfirmShipmentBody,
  FeedStatus,
  InventoryPage,
  ListingsItem,
  ListingsPatch,
  ListingsSubmission,
  MarketplaceParticipation,
  ReportStatus,
  SearchOrdersPage,
  SearchOrdersParams,
  SpApiAppPort,
  SpApiPort,
} from './port';
import { createRateLimiter, type RateLimiter } from './rate-limiter';
import * as schemas from './schemas';
import { SimulatorAgent } from './simulator-agent';
import type { RateLimitedOperation } from './usage-plans';

export type Region = 'eu' | 'na' | 'fe';

export interface SpApiPortOptions {
  connectionId: string;
  region: Region;
  refreshToken: string;
  clientId: string;
  clientSecret: string;
  /** Simulator URL (http://127.0.0.1:PORT); when set every request is routed there via SimulatorAgent. */
  endpoint?: string;
  db: Db;
  /** Defaults to the Postgres token buckets on `db`, shared with every other worker. */
  limiter?: RateLimiter;
  /** Time stamp of channel_log rows; defaults to the database's now(). */
  clock?: () => Date;
  /** Workflow id for channel_log rows; by default taken from the running activity, if any. */
  workflowId?: string;
  /** Defaults to the channel_log table on `db`. */
  channelLog?: ChannelLog;
}

/** The subset of amazon-sp-api's SellingPartner the adapter uses, with raw results typed. */
interface SellingPartnerClient {
  callAPI(params: Record<string, unknown>): Promise<unknown>;
  refreshAccessToken(scope?: string): Promise<void>;
  exchange(code: string): Promise<unknown>;
  upload(details: { url: string }, feed: { content: string; contentType: string }): Promise<unknown>;
  download(details: { url: string; compressionAlgorithm?: string }, options: { json: boolean; unzip: boolean }): Promise<unknown>;
}

interface RawResult {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function isRawResult(value: unknown): value is RawResult {
  return !!value && typeof value === 'object' && typeof (value as RawResult).statusCode === 'number' && typeof (value as RawResult).body === 'string';
}

function newClient(opts: { region: Region; refreshToken?: string; clientId: string; clientSecret: string; endpoint?: string }): SellingPartnerClient {
  const client = new SellingPartner({
    region: opts.region,
    ...(opts.refreshToken ? { refresh_token: opts.refreshToken } : {}),
    credentials: { SELLING_PARTNER_APP_CLIENT_ID: opts.clientId, SELLING_PARTNER_APP_CLIENT_SECRET: opts.clientSecret },
    endpoints_versions: { orders: '2026-01-01', listingsItems: '2021-08-01' },
    options: {
      auto_request_throttled: false, // Temporal owns retries (Throttled carries retryAfterMs)
      auto_request_tokens: true, // fetch an access token when there is none
      retry_remote_timeout: false, // a network error is Transient, retried by Temporal
      ...(opts.refreshToken ? {} : { only_grantless_operations: true }),
      ...(opts.endpoint ? { https_proxy_agent: new SimulatorAgent(opts.endpoint) } : {}),
    },
  });
  return client as unknown as SellingPartnerClient;
}

function headerNumber(headers: RawResult['headers'], name: string): number | undefined {
  const raw = headers[name];
  const value = Number(Array.isArray(raw) ? raw[0] : raw);
  return raw !== undefined && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** The HttpFailure for a non-2xx response, or a 2xx whose body is not JSON / carries errors. */
function failureOf(res: RawResult): { failure?: HttpFailure; json?: unknown } {
  const ok = res.statusCode >= 200 && res.statusCode < 300;
  if (res.body.trim() === '') return ok ? {} : { failure: { kind: 'http', statusCode: res.statusCode } };
  let json: unknown;
  try {
    json = JSON.parse(res.body);
  } catch {
    return { failure: { kind: 'http', statusCode: res.statusCode, nonJsonBody: true } };
  }
  const parsed = schemas.errorList.safeParse(json);
  const first = parsed.success ? parsed.data.errors[0] : undefined;
  if (first) return { failure: { kind: 'http', statusCode: res.statusCode, code: first.code, message: first.message, details: first.details } };
  if (ok) return { json };
  const message = json && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string' ? (json as { message: string }).message : undefined;
  return { failure: { kind: 'http', statusCode: res.statusCode, ...(message ? { message } : {}) } };
}

function isTokenProblem(res: RawResult, failure: HttpFailure | undefined): boolean {
  if (res.statusCode === 401) return true;
  return res.statusCode === 403 && /access token.*(expired|revoked|malformed|invalid)/i.test(failure?.details ?? '');
}

function compact(query: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)));
}

const KNOWN_REPORT_TYPES = new Set<string>([
  'GET_MERCHANT_LISTINGS_ALL_DATA',
  'GET_MERCHANT_LISTINGS_DATA',
  'GET_FLAT_FILE_OPEN_LISTINGS_DATA',
  'GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA',
  'GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE',
  'GET_XML_RETURNS_DATA_BY_RETURN_DATE',
] satisfies ReportType[]);

function scopeOfReport(operation: SpApiOperation, reportType: string): Scope {
  return KNOWN_REPORT_TYPES.has(reportType) ? scopeForReport(reportType as ReportType) : scopeForOperation(operation);
}

interface CallSpec<S extends z.ZodType | undefined> {
  operation: RateLimitedOperation;
  /** amazon-sp-api endpoint group (orders, fbaInventory, listingsItems, feeds, reports, tokens, sellers). */
  endpoint: string;
  path?: Record<string, string>;
  query?: Record<string, unknown>;
  body?: unknown;
  /** Schema of a 2xx body; undefined when the operation answers 204 / an empty 200. */
  schema: S;
  scope?: Scope;
}

/** The SP-API port for one seller connection (one refresh token, one region). */
export function createSpApiPort(opts: SpApiPortOptions): SpApiPort {
  const { connectionId } = opts;
  const client = newClient(opts);
  const limiter = opts.limiter ?? createRateLimiter({ db: opts.db });
  const channelLog = opts.channelLog ?? createChannelLog(opts.db);
  const secrets = [opts.refreshToken, opts.clientSecret];
  const secretsNow = (): string[] => {
    const token = (client as unknown as { access_token?: string }).access_token;
    return token ? [...secrets, token] : secrets;
  };
  // Last x-amzn-RateLimit-Limit seen per operation: only a change costs a database write. A cache,
  // not state: losing it (or another worker not having it) only means one extra idempotent update.
  const lastRateHeader = new Map<RateLimitedOperation, number>();
  const workflowId = (): string | undefined => opts.workflowId ?? asyncLocalStorage.getStore()?.info.workflowExecution?.workflowId;

  async function log(entry: {
    operation: SpApiOperation | DocumentTransfer;
    scope: Scope;
    started: number;
    waitedMs: number;
    httpStatus?: number;
    rateLimitHeader?: number;
    error?: SpApiError;
  }): Promise<void> {
    try {
      await channelLog.append({
        connectionId,
        operation: entry.operation,
        scope: entry.scope,
        httpStatus: entry.httpStatus ?? entry.error?.details.httpStatus,
        errorCode: entry.error?.details.code,
        errorType: entry.error?.type,
        latencyMs: performance.now() - entry.started - entry.waitedMs,
        rateLimitHeader: entry.rateLimitHeader,
        waitedMs: entry.waitedMs,
        workflowId: workflowId(),
        ...(opts.clock ? { at: opts.clock() } : {}),
      });
    } catch (err) {
      // The call itself is done (maybe a shipment confirmed): a lost log row must not fail it.
      process.emitWarning(`channel_log append failed for ${connectionId} ${entry.operation}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async function send(spec: CallSpec<z.ZodType | undefined>): Promise<RawResult> {
    const res = await client.callAPI({
      operation: spec.operation,
      endpoint: spec.endpoint,
      ...(spec.path ? { path: { ...spec.path } } : {}),
      ...(spec.query ? { query: compact(spec.query) } : {}),
      ...(spec.body !== undefined ? { body: spec.body } : {}),
      options: { raw_result: true },
    });
    if (!isRawResult(res)) throw new Error(`amazon-sp-api returned no raw result for ${spec.operation}`);
    return res;
  }

  async function call<S extends z.ZodType | undefined>(spec: CallSpec<S>): Promise<S extends z.ZodType ? z.output<S> : void> {
    const { operation } = spec;
    const scope = spec.scope ?? scopeForOperation(operation);
    const started = performance.now();
    let waitedMs = 0;
    let httpStatus: number | undefined;
    let rateLimitHeader: number | undefined;
    try {
      waitedMs += (await limiter.acquire(connectionId, operation)).waitedMs;
      let res = await send(spec);
      let { failure, json } = failureOf(res);
      if (isTokenProblem(res, failure)) {
        // The access token expired (or was rejected): get a new one and repeat the call once.
        await client.refreshAccessToken();
        waitedMs += (await limiter.acquire(connectionId, operation)).waitedMs;
        res = await send(spec);
        ({ failure, json } = failureOf(res));
        if (isTokenProblem(res, failure)) {
          throw new SpApiError('AccessDenied', `Amazon rejected a freshly refreshed access token on ${operation}: the seller must re-authorise Conduit`, {
            operation,
            scope,
            connectionId,
            httpStatus: res.statusCode,
            ...(failure?.code ? { code: failure.code } : {}),
          });
        }
      }
      httpStatus = res.statusCode;
      rateLimitHeader = headerNumber(res.headers, 'x-amzn-ratelimit-limit');
      if (rateLimitHeader !== undefined && lastRateHeader.get(operation) !== rateLimitHeader) {
        await limiter.observeRateLimit(connectionId, operation, rateLimitHeader);
        lastRateHeader.set(operation, rateLimitHeader);
      }
      if (failure) {
        const retryAfterMs = res.statusCode === 429 || failure.code === 'QuotaExceeded' ? await limiter.throttled(connectionId, operation) : undefined;
        throw classifySpApiFailure(failure, { operation, connectionId, scope, secrets: secretsNow(), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
      }
      const value = spec.schema ? schemas.parseResponse(spec.schema, json, { operation, scope, connectionId, httpStatus }) : undefined;
      await log({ operation, scope, started, waitedMs, httpStatus, rateLimitHeader });
      return value as S extends z.ZodType ? z.output<S> : void;
    } catch (err) {
      const error = classifySpApiFailure(err, { operation, connectionId, scope, secrets: secretsNow() });
      await log({ operation, scope, started, waitedMs, httpStatus, rateLimitHeader, error });
      throw error;
    }
  }

  /** A pre-signed document URL (upload or download): not an SP-API operation, no usage plan. */
  async function transfer<T>(kind: DocumentTransfer, operation: SpApiOperation, scope: Scope, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const value = await run();
      await log({ operation: kind, scope, started, waitedMs: 0, httpStatus: 200 });
      return value;
    } catch (err) {
      const error = classifySpApiFailure(err, { operation, connectionId, scope, documentTransfer: true, secrets: secretsNow() });
      await log({ operation: kind, scope, started, waitedMs: 0, error });
      throw error;
    }
  }

  async function downloadText(kind: DocumentTransfer, operation: SpApiOperation, doc: { url: string; compressionAlgorithm?: string }): Promise<string> {
    const scope = scopeForOperation(operation);
    return transfer(kind, operation, scope, async () => {
      const content = await client.download(doc, { json: false, unzip: true });
      if (typeof content !== 'string') throw Object.assign(new Error('document is not text'), { code: 'DECODE_ERROR' });
      return content;
    });
  }

  return {
    connectionId,

    async searchOrders(params: SearchOrdersParams): Promise<SearchOrdersPage> {
      const res = await call({ operation: 'searchOrders', endpoint: 'orders', query: { ...params }, schema: schemas.searchOrdersResponse });
      return {
        orders: res.orders,
        ...(res.pagination?.nextToken ? { nextToken: res.pagination.nextToken } : {}),
        ...(res.lastUpdatedBefore ? { lastUpdatedBefore: res.lastUpdatedBefore } : {}),
        ...(res.createdBefore ? { createdBefore: res.createdBefore } : {}),
      };
    },

    async getOrder(orderId: string, includedData?: string[]): Promise<AmazonOrder> {
      const res = await call({ operation: 'getOrder', endpoint: 'orders', path: { orderId }, query: { includedData }, schema: schemas.getOrderResponse });
      return res.order;
    },

    async confirmShipment(orderId: string, body: ConfirmShipmentBody): Promise<void> {
      // Not in Orders 2026: amazon-sp-api falls back to v0 (version_fallback).
      await call({ operation: 'confirmShipment', endpoint: 'orders', path: { orderId }, body, schema: undefined });
    },

    async getInventorySummaries(params): Promise<InventoryPage> {
      const res = await call({
        operation: 'getInventorySummaries',
        endpoint: 'fbaInventory',
        query: {
          granularityType: 'Marketplace',
          granularityId: params.marketplaceId,
          marketplaceIds: [params.marketplaceId],
          details: true,
          nextToken: params.nextToken,
          // With startDateTime Amazon ignores sellerSkus, and every later page must repeat it.
          startDateTime: params.startDateTime,
          sellerSkus: params.startDateTime ? undefined : params.sellerSkus,
        },
        schema: schemas.inventorySummariesResponse,
      });
      return { summaries: res.payload.inventorySummaries, ...(res.pagination?.nextToken ? { nextToken: res.pagination.nextToken } : {}) };
    },

    async getListingsItem(sellerId: string, sku: string, marketplaceIds: string[], includedData?: string[]): Promise<ListingsItem> {
      return call({
        operation: 'getListingsItem',
        endpoint: 'listingsItems',
        path: { sellerId, sku },
        query: { marketplaceIds, includedData },
        schema: schemas.listingsItem,
      });
    },

    async patchListingsItem(sellerId: string, sku: string, marketplaceIds: string[], body: { productType: string; patches: ListingsPatch[] }): Promise<ListingsSubmission> {
      return call({
        operation: 'patchListingsItem',
        endpoint: 'listingsItems',
        path: { sellerId, sku },
        query: { marketplaceIds },
        body,
        schema: schemas.listingsSubmission,
      });
    },

    async createFeedDocument(contentType: string) {
      return call({ operation: 'createFeedDocument', endpoint: 'feeds', body: { contentType }, schema: schemas.createFeedDocumentResponse });
    },

    async uploadFeedDocument(url: string, contentType: string, content: string): Promise<void> {
      await transfer('uploadFeedDocument', 'createFeedDocument', scopeForOperation('createFeedDocument'), () => client.upload({ url }, { content, contentType }));
    },

    async createFeed(body: { feedType: string; marketplaceIds: string[]; inputFeedDocumentId: string }) {
      return call({ operation: 'createFeed', endpoint: 'feeds', body, schema: schemas.createFeedResponse });
    },

    async getFeed(feedId: string): Promise<FeedStatus> {
      const f = await call({ operation: 'getFeed', endpoint: 'feeds', path: { feedId }, schema: schemas.feed });
      return {
        feedId: f.feedId,
        feedType: f.feedType,
        processingStatus: f.processingStatus,
        createdTime: f.createdTime,
        ...(f.resultFeedDocumentId ? { resultFeedDocumentId: f.resultFeedDocumentId } : {}),
        ...(f.processingStartTime ? { processingStartTime: f.processingStartTime } : {}),
        ...(f.processingEndTime ? { processingEndTime: f.processingEndTime } : {}),
      };
    },

    async cancelFeed(feedId: string): Promise<void> {
      await call({ operation: 'cancelFeed', endpoint: 'feeds', path: { feedId }, schema: undefined });
    },

    async getFeedDocumentContent(feedDocumentId: string): Promise<string> {
      const doc = await call({ operation: 'getFeedDocument', endpoint: 'feeds', path: { feedDocumentId }, schema: schemas.feedDocument });
      return downloadText('downloadFeedDocument', 'getFeedDocument', doc);
    },

    async createReport(body: { reportType: string; marketplaceIds: string[]; dataStartTime?: string; dataEndTime?: string }) {
      return call({ operation: 'createReport', endpoint: 'reports', body, schema: schemas.createReportResponse, scope: scopeOfReport('createReport', body.reportType) });
    },

    async getReport(reportId: string): Promise<ReportStatus> {
      const r = await call({ operation: 'getReport', endpoint: 'reports', path: { reportId }, schema: schemas.report });
      return {
        reportId: r.reportId,
        reportType: r.reportType,
        processingStatus: r.processingStatus,
        ...(r.reportDocumentId ? { reportDocumentId: r.reportDocumentId } : {}),
      };
    },

    async getReportDocumentContent(reportDocumentId: string): Promise<string> {
      const doc = await call({ operation: 'getReportDocument', endpoint: 'reports', path: { reportDocumentId }, schema: schemas.reportDocument });
      return downloadText('downloadReportDocument', 'getReportDocument', doc);
    },

    async createRestrictedDataToken(resources: Array<{ method: string; path: string; dataElements?: string[] }>) {
      return call({
        operation: 'createRestrictedDataToken',
        endpoint: 'tokens',
        body: { restrictedResources: resources },
        schema: schemas.restrictedDataTokenResponse,
      });
    },

    async getMarketplaceParticipations(): Promise<MarketplaceParticipation[]> {
      const res = await call({ operation: 'getMarketplaceParticipations', endpoint: 'sellers', schema: schemas.marketplaceParticipationsResponse });
      return res.payload;
    },
  };
}

export interface SpApiAppPortOptions {
  clientId: string;
  clientSecret: string;
  /** Simulator URL; when set the LWA call is routed there via SimulatorAgent. */
  endpoint?: string;
  /** When given, each exchange appends a channel_log row under connection id "app". */
  db?: Db;
  channelLog?: ChannelLog;
}

/** App-level calls (LWA code exchange), not tied to a seller's refresh token. */
export function createSpApiAppPort(opts: SpApiAppPortOptions): SpApiAppPort {
  // LWA is one global endpoint (api.amazon.com); the region only satisfies the client's constructor.
  const client = newClient({ region: 'eu', clientId: opts.clientId, clientSecret: opts.clientSecret, endpoint: opts.endpoint });
  const channelLog = opts.channelLog ?? (opts.db ? createChannelLog(opts.db) : undefined);
  const operation = 'exchangeAuthorizationCode' as const;
  const scope = scopeForOperation(operation);
  const connectionId = 'app';
  return {
    // amazon-sp-api's exchange() sends grant_type, code, client_id, client_secret — not redirect_uri (sp-api.md §4).
    async exchangeAuthorizationCode(code: string, _redirectUri?: string): Promise<{ refreshToken: string }> {
      const started = performance.now();
      const secrets = [code, opts.clientSecret];
      let error: SpApiError | undefined;
      try {
        let body: unknown;
        try {
          body = await client.exchange(code);
        } catch (err) {
          throw classifySpApiFailure(err, { operation, connectionId, scope, secrets });
        }
        const parsed = schemas.lwaCodeExchangeResponse.safeParse(body);
        if (!parsed.success) {
          throw new SpApiError('BadResponse', 'Login with Amazon answered the code exchange without a refresh token', { operation, scope, connectionId });
        }
        return { refreshToken: parsed.data.refresh_token };
      } catch (err) {
        error = err instanceof SpApiError ? err : classifySpApiFailure(err, { operation, connectionId, scope, secrets });
        throw error;
      } finally {
        await channelLog
          ?.append({
            connectionId,
            operation,
            scope,
            latencyMs: performance.now() - started,
            waitedMs: 0,
            ...(error ? { errorType: error.type, errorCode: error.details.code } : {}),
          })
          .catch(() => {});
      }
    },
  };
}
