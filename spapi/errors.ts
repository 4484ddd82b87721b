/**
 * The closed set of SP-API failures, classified once (in spapi/classify.ts) and carried to
 * Temporal as ApplicationFailure types with these exact names. Retry policies list the
 * non-retryable ones via `nonRetryableSpApiErrors`.
 */
import type { Scope, SpApiOperation } from '../domain/scopes';

export type SpApiErrorType =
  | 'Throttled'
  | 'AccessDenied'
  | 'TokenExpired'
  | 'InvalidInput'
  | 'NotFound'
  | 'Transient'
  | 'BadResponse';

/** Details an operator needs, safe to log (never tokens, never PII). */
export interface SpApiErrorDetails {
  operation: SpApiOperation;
  scope: Scope;
  connectionId: string;
  httpStatus?: number;
  code?: string;
  /** Throttled: how long the usage plan says to wait before the next call. */
  retryAfterMs?: number;
  /** InvalidInput: the field Amazon (or our validation) named. */
  field?: string;
}

export class SpApiError extends Error {
  constructor(
    readonly type: SpApiErrorType,
    message: string,
    readonly details: SpApiErrorDetails,
  ) {
    super(message);
    this.name = type;
  }
  get retryable(): boolean {
    return retryableSpApiErrors.includes(this.type);
  }
}

/** Retrying these only hides the problem (403 is an auth problem, 400 a data problem). */
export const nonRetryableSpApiErrors: readonly SpApiErrorType[] = ['AccessDenied', 'InvalidInput', 'NotFound', 'BadResponse'];
export const retryableSpApiErrors: readonly SpApiErrorType[] = ['Throttled', 'TokenExpired', 'Transient'];
