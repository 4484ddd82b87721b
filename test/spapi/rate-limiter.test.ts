/**
 * The Postgres token bucket against a real database: many acquirers on several connection
 * pools (standing in for several workers) never get more than burst + rate × t tokens, and the
 * bucket follows Amazon's header and 429s.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { closeDb, openDb, schema, type Db } from '../../db/client';
import { SpApiError } from '../../spapi/errors';
import { createRateLimiter } from '../../spapi/rate-limiter';
import type { UsagePlan } from '../../spapi/usage-plans';
import { createTestDatabase, type TestDatabase } from '../support/services';

let database: TestDatabase;
const extraPools: Db[] = [];

before(async () => {
  database = await createTestDatabase();
  for (let i = 0; i < 2; i++) extraPools.push(await openDb(database.url, { max: 5 }));
});

after(async () => {
  for (const db of extraPools) await closeDb(db);
  await database?.drop();
});

const plan = (rate: number, burst: number) => (): UsagePlan => ({ rate, burst });

test('under concurrency from three pools, no window ever holds more than burst + rate × t tokens', async () => {
  const rate = 20;
  const burst = 5;
  const durationMs = 2500;
  const pools = [database.db, ...extraPools];
  const limiters = pools.map((db) => createRateLimiter({ db, planFor: plan(rate, burst), maxWaitMs: 60_000 }));
  const grants: number[] = [];
  const start = performance.now();
  const deadline = start + durationMs;
  // 30 callers hammering the same bucket, spread over the three pools.
  await Promise.all(
    Array.from({ length: 30 }, async (_, i) => {
      const limiter = limiters[i % limiters.length]!;
      while (performance.now() < deadline) {
        await limiter.acquire('conn-a', 'getOrder');
        grants.push(performance.now());
      }
    }),
  );
  const elapsedS = (Math.max(...grants) - start) / 1000;
  const bound = burst + rate * elapsedS;
  assert.ok(grants.length <= bound + 1, `${grants.length} grants in ${elapsedS.toFixed(2)} s, bound ${bound.toFixed(1)}`);
  // Sliding windows: between any two grants, count ≤ burst + rate × gap (+1 for client-side timing noise).
  grants.sort((a, b) => a - b);
  for (let i = 0; i < grants.length; i++) {
    for (let j = i; j < grants.length; j++) {
      const allowed = burst + (rate * (grants[j]! - grants[i]!)) / 1000 + 1;
      assert.ok(j - i + 1 <= allowed, `${j - i + 1} grants within ${(grants[j]! - grants[i]!).toFixed(0)} ms (allowed ${allowed.toFixed(1)})`);
    }
  }
  // And it is not starving callers either: at least 80 % of what the plan allows.
  assert.ok(grants.length >= 0.8 * (burst + rate * (durationMs / 1000)), `only ${grants.length} grants`);
});

test('when the wait would exceed maxWait, acquire throws Throttled with retryAfterMs instead of holding the slot', async () => {
  const limiter = createRateLimiter({ db: database.db, planFor: plan(0.5, 2), maxWaitMs: 100, headroomTokens: 0 });
  await limiter.acquire('conn-b', 'getOrder');
  await limiter.acquire('conn-b', 'getOrder');
  const started = Date.now();
  await assert.rejects(limiter.acquire('conn-b', 'getOrder'), (err: unknown) => {
    assert.ok(err instanceof SpApiError);
    assert.equal(err.type, 'Throttled');
    assert.equal(err.details.code, 'LocalRateLimit');
    assert.equal(err.details.scope, 'SELLING_PARTNER_INSIGHTS');
    assert.ok(err.details.retryAfterMs! > 1500 && err.details.retryAfterMs! <= 2000, `retryAfterMs ${err.details.retryAfterMs}`);
    return true;
  });
  assert.ok(Date.now() - started < 100, 'gave up at once rather than sleeping');
});

test('a short wait is slept through and reported as waitedMs', async () => {
  const limiter = createRateLimiter({ db: database.db, planFor: plan(10, 1), maxWaitMs: 5_000 });
  assert.equal((await limiter.acquire('conn-c', 'getOrder')).waitedMs, 0);
  const { waitedMs } = await limiter.acquire('conn-c', 'getOrder');
  assert.ok(waitedMs >= 60 && waitedMs < 400, `waited ${waitedMs} ms for a 100 ms token`);
});

test("the bucket adopts Amazon's x-amzn-RateLimit-Limit rate", async () => {
  const limiter = createRateLimiter({ db: database.db, planFor: plan(0.2, 1), maxWaitMs: 3_000 });
  await limiter.acquire('conn-d', 'getOrder');
  await limiter.observeRateLimit('conn-d', 'getOrder', 50);
  const [row] = await database.db
    .select()
    .from(schema.rateBuckets)
    .where(and(eq(schema.rateBuckets.connectionId, 'conn-d'), eq(schema.rateBuckets.operation, 'getOrder')));
  assert.equal(row?.ratePerSecond, 50);
  const { waitedMs } = await limiter.acquire('conn-d', 'getOrder');
  assert.ok(waitedMs < 500, `waited ${waitedMs} ms at 50/s (would be 5000 ms at the plan's 0.2/s)`);
});

test('a 429 empties the bucket and returns the wait for the next token', async () => {
  const limiter = createRateLimiter({ db: database.db, planFor: plan(2, 10), maxWaitMs: 50, headroomTokens: 0 });
  await limiter.acquire('conn-e', 'confirmShipment'); // 9 left in our copy, but Amazon disagrees
  const waitMs = await limiter.throttled('conn-e', 'confirmShipment');
  assert.ok(waitMs > 400 && waitMs <= 500, `wait ${waitMs}`);
  await assert.rejects(limiter.acquire('conn-e', 'confirmShipment'), /Throttled|token/);
});

test('one token of the burst is kept spare by default, against latency jitter', async () => {
  const limiter = createRateLimiter({ db: database.db, planFor: plan(0.1, 3), maxWaitMs: 10 });
  await limiter.acquire('conn-h', 'getOrder');
  await limiter.acquire('conn-h', 'getOrder');
  await assert.rejects(limiter.acquire('conn-h', 'getOrder'), SpApiError);
});

test('buckets are per connection and per operation', async () => {
  const limiter = createRateLimiter({ db: database.db, planFor: plan(0.1, 1), maxWaitMs: 10 });
  await limiter.acquire('conn-f', 'getOrder');
  await limiter.acquire('conn-g', 'getOrder');
  await limiter.acquire('conn-f', 'getFeed');
  await assert.rejects(limiter.acquire('conn-f', 'getOrder'), SpApiError);
});
