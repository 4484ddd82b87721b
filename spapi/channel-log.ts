/**
 * The channel log: one row per SP-API call, success or failure — what an operator reads after
 * a peak period (which calls, how slow, how often throttled, how long we queued for a token).
 * Rows carry identifiers and numbers only: never payloads, tokens or buyer data.
 */
import type { Scope, SpApiOperation } from '../domain/scopes';
import { schema, type Db } from '../db/client';
import type { SpApiErrorType } from './errors';

/** Pre-signed document transfers (S3), logged next to the SP-API calls that produced their URLs. */
export type DocumentTransfer = 'uploadFeedDocument' | 'downloadFeedDocument' | 'downloadReportDocument';

export interface ChannelLogEntry {
  connectionId: string;
  operation: SpApiOperation | DocumentTransfer;
  scope: Scope;
  /** HTTP status of the last attempt; absent when no response arrived (network error, local throttle). */
  httpStatus?: number;
  /** Amazon's (or the client's) error code, e.g. QuotaExceeded, Unauthorized, ECONNRESET. */
  errorCode?: string;
  errorType?: SpApiErrorType;
  latencyMs: number;
  /** x-amzn-RateLimit-Limit of the response, requests per second. */
  rateLimitHeader?: number;
  /** Time spent waiting for a rate-limiter token before the call. */
  waitedMs: number;
  workflowId?: string;
  at?: Date;
}

export interface ChannelLog {
  append(entry: ChannelLogEntry): Promise<void>;
}

// Codes are short identifiers; anything else (a body echoed into `code`) is not logged.
const SAFE_CODE = /^[\w .:-]{1,64}$/;

/** A channel log writing to the `channel_log` table. */
export function createChannelLog(db: Db): ChannelLog {
  return {
    async append(entry) {
      await db.insert(schema.channelLog).values({
        connectionId: entry.connectionId,
        operation: entry.operation,
        scope: entry.scope,
        httpStatus: entry.httpStatus ?? null,
        errorCode: entry.errorCode === undefined ? null : SAFE_CODE.test(entry.errorCode) ? entry.errorCode : 'unrecognised',
        errorType: entry.errorType ?? null,
        latencyMs: Math.max(0, Math.round(entry.latencyMs)),
        rateLimitHeader: entry.rateLimitHeader ?? null,
        waitedMs: Math.max(0, Math.round(entry.waitedMs)),
        workflowId: entry.workflowId ?? null,
        ...(entry.at ? { at: entry.at } : {}),
      });
    },
  };
}
