/**
 * SpApiError → Temporal ApplicationFailure. The failure type is the error type name, so retry
 * policies (spapi/activity-options.ts) and workflows (workflows/lib/access.ts) branch on it;
 * details[0] carries only the safe SpApiErrorDetails fields.
 */
import { ApplicationFailure } from '@temporalio/common';
import { nonRetryableSpApiErrors, SpApiError, type SpApiErrorDetails } from './errors';

/** The details that may cross into workflow history: identifiers and numbers, nothing else. */
function safeDetails(d: SpApiErrorDetails): SpApiErrorDetails {
  return {
    operation: d.operation,
    scope: d.scope,
    connectionId: d.connectionId,
    ...(d.httpStatus !== undefined ? { httpStatus: d.httpStatus } : {}),
    ...(d.code !== undefined ? { code: d.code } : {}),
    ...(d.retryAfterMs !== undefined ? { retryAfterMs: d.retryAfterMs } : {}),
    ...(d.field !== undefined ? { field: d.field } : {}),
  };
}

/** Maps an SpApiError to the ApplicationFailure an activity should throw. */
export function toApplicationFailure(err: SpApiError): ApplicationFailure {
  return ApplicationFailure.create({
    type: err.type,
    message: err.message,
    nonRetryable: nonRetryableSpApiErrors.includes(err.type),
    details: [safeDetails(err.details)],
    // Throttled: come back when the bucket has a token, not on the exponential schedule.
    ...(err.type === 'Throttled' && err.details.retryAfterMs !== undefined ? { nextRetryDelay: Math.max(1, err.details.retryAfterMs) } : {}),
  });
}

/** For an activity's catch: SpApiErrors become ApplicationFailures, anything else is returned unchanged. */
export function asActivityFailure(err: unknown): unknown {
  return err instanceof SpApiError ? toApplicationFailure(err) : err;
}
