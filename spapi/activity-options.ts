/**
 * Named activity-option presets with the retry policy written once. Imported by workflow code,
 * so this file may import only @temporalio/common types and spapi/errors.ts (no Node built-ins,
 * no amazon-sp-api).
 *
 * How the SP-API error types behave under these presets (see docs/spapi.md):
 * - AccessDenied, InvalidInput, NotFound, BadResponse: not retried (nonRetryableErrorTypes, and the
 *   ApplicationFailure is marked nonRetryable); the workflow decides (e.g. wait for re-authorisation).
 * - Throttled: retried after exactly retryAfterMs (ApplicationFailure.nextRetryDelay).
 * - Transient, TokenExpired: retried with exponential backoff.
 */
import type { ActivityOptions } from '@temporalio/common';
import { nonRetryableSpApiErrors } from './errors';

/** One SP-API call (plus its limiter wait of at most 20 s). Retries forever on throttling and outages. */
export const spApiCall: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    nonRetryableErrorTypes: [...nonRetryableSpApiErrors],
  },
};

/** A short Postgres transaction. Constraint violations are bugs or races worth a few retries, not forever. */
export const dbWrite: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '200 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 20,
    nonRetryableErrorTypes: [...nonRetryableSpApiErrors],
  },
};

/**
 * A long wait inside one activity (e.g. polling a feed or report until Amazon finishes it),
 * heartbeating so a lost worker is noticed within a minute.
 */
export const longPoll: ActivityOptions = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: '30 seconds',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    nonRetryableErrorTypes: [...nonRetryableSpApiErrors],
  },
};
