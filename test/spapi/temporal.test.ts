/** SpApiError → ApplicationFailure, and the activity-option presets that act on the failure types. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nonRetryableSpApiErrors, SpApiError, type SpApiErrorType } from '../../spapi/errors';
import { dbWrite, longPoll, spApiCall } from '../../spapi/activity-options';
import { asActivityFailure, toApplicationFailure } from '../../spapi/temporal';

const base = { operation: 'getOrder' as const, scope: 'SELLING_PARTNER_INSIGHTS' as const, connectionId: 'uk-acme' };

test('each type maps to an ApplicationFailure of the same name; only the four non-retryable ones are marked so', () => {
  const types: SpApiErrorType[] = ['Throttled', 'AccessDenied', 'TokenExpired', 'InvalidInput', 'NotFound', 'Transient', 'BadResponse'];
  for (const type of types) {
    const failure = toApplicationFailure(new SpApiError(type, `${type} happened`, { ...base }));
    assert.equal(failure.type, type);
    assert.equal(failure.message, `${type} happened`);
    assert.equal(failure.nonRetryable, ['AccessDenied', 'InvalidInput', 'NotFound', 'BadResponse'].includes(type), type);
  }
});

test('Throttled carries nextRetryDelay from retryAfterMs; details hold only the safe fields', () => {
  const err = new SpApiError('Throttled', 'slow down', { ...base, httpStatus: 429, code: 'QuotaExceeded', retryAfterMs: 1800 });
  (err.details as unknown as Record<string, unknown>).accessToken = 'Atza|secret';
  const failure = toApplicationFailure(err);
  assert.equal(failure.nextRetryDelay, 1800);
  assert.deepEqual(failure.details, [{ ...base, httpStatus: 429, code: 'QuotaExceeded', retryAfterMs: 1800 }]);
  assert.equal(toApplicationFailure(new SpApiError('Transient', 'x', base)).nextRetryDelay, undefined);
});

test('asActivityFailure converts SpApiErrors and leaves other errors alone', () => {
  const other = new Error('boom');
  assert.equal(asActivityFailure(other), other);
  assert.equal((asActivityFailure(new SpApiError('NotFound', 'x', base)) as { type?: string }).type, 'NotFound');
});

test('every preset lists exactly the non-retryable SP-API types', () => {
  for (const preset of [spApiCall, dbWrite, longPoll]) {
    assert.deepEqual([...(preset.retry?.nonRetryableErrorTypes ?? [])].sort(), [...nonRetryableSpApiErrors].sort());
    assert.ok(preset.startToCloseTimeout);
  }
  assert.ok(longPoll.heartbeatTimeout, 'longPoll heartbeats');
});

test('activity-options.ts stays importable from workflow code: no Node built-ins, no amazon-sp-api', async () => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const root = path.join(__dirname, '..', '..');
  for (const file of ['spapi/activity-options.ts', 'spapi/errors.ts']) {
    const source = fs.readFileSync(path.join(root, file), 'utf8');
    const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
    for (const spec of imports) {
      assert.ok(
        spec.startsWith('@temporalio/common') || spec.startsWith('@temporalio/workflow') || spec === './errors' || spec === '../domain/scopes',
        `${file} imports ${spec}`,
      );
    }
  }
});
