/**
 * Token buckets per (connection, operation) in Postgres, shared by every worker process.
 *
 * Amazon limits each (seller, application) pair per operation with a token bucket (rate/s up to
 * burst). Conduit keeps its own copy of that bucket in `rate_buckets` so that any number of
 * workers together stay inside the plan. A token is taken in one SQL statement — refill by
 * elapsed time × rate up to burst, take one if there is one, else report the wait — and the
 * database clock is the only clock, so workers never need to agree on time or share memory.
 *
 * `acquire` sleeps for the reported wait and tries again, but never longer than `maxWaitMs` in
 * total: past that it throws Throttled with retryAfterMs, so Temporal reschedules the activity
 * instead of an activity slot being held for minutes (searchOrders restores one token every 180 s).
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { scopeForOperation } from '../domain/scopes';
import { SpApiError } from './errors';
import { USAGE_PLANS, type RateLimitedOperation, type UsagePlan } from './usage-plans';

export interface RateLimiter {
  /**
   * Waits until the bucket gives a token and returns how long that took. Throws
   * SpApiError('Throttled') with retryAfterMs when the wait would exceed the limiter's max wait.
   */
  acquire(connectionId: string, operation: RateLimitedOperation): Promise<{ waitedMs: number }>;
  /** Adopts the rate Amazon reported in x-amzn-RateLimit-Limit (requests per second) for this bucket. */
  observeRateLimit(connectionId: string, operation: RateLimitedOperation, ratePerSecond: number): Promise<void>;
  /** Amazon answered 429 anyway: empties the bucket and returns ms until the next token. */
  throttled(connectionId: string, operation: RateLimitedOperation): Promise<number>;
}

export interface RateLimiterOptions {
  db: Db;
  /** Longest total wait inside one acquire before giving the slot back to Temporal. Default 20 s. */
  maxWaitMs?: number;
  /** Plan a new bucket starts from; default the models' usage plans. */
  planFor?: (operation: RateLimitedOperation) => UsagePlan;
  /**
   * Tokens of Amazon's burst we never use (default 1). Our bucket and Amazon's refill at the same
   * rate, but requests reach Amazon with varying latency; one spare token absorbs up to 1/rate
   * seconds of latency jitter, so the two buckets can never disagree into a 429.
   */
  headroomTokens?: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// Tokens available at the statement's time (statement_timestamp() is one value for the whole
// statement; refilled_at only moves forward, so every token credited is rate × real elapsed time).
const available = sql.raw(
  'least(b.burst, b.tokens + b.rate_per_second * greatest(0, extract(epoch from (statement_timestamp() - b.refilled_at))))',
);

/** A Postgres-backed limiter; holds no state of its own. */
export function createRateLimiter(opts: RateLimiterOptions): RateLimiter {
  const { db } = opts;
  const maxWaitMs = opts.maxWaitMs ?? 20_000;
  const planFor = opts.planFor ?? ((op: RateLimitedOperation) => USAGE_PLANS[op]);
  const sleep = opts.sleep ?? defaultSleep;
  const headroom = opts.headroomTokens ?? 1;

  /** One statement: create the bucket full if new, else refill and take a token if there is one. */
  async function tryTake(connectionId: string, operation: RateLimitedOperation): Promise<{ granted: boolean; waitMs: number }> {
    const plan = planFor(operation);
    const burst = Math.max(1, plan.burst - headroom);
    const rows = await db.execute<{ granted: boolean; wait_seconds: number }>(sql`
      with taken as (
        insert into rate_buckets as b (connection_id, operation, tokens, rate_per_second, burst, refilled_at)
        values (${connectionId}, ${operation}, ${burst - 1}, ${plan.rate}, ${burst}, statement_timestamp())
        on conflict (connection_id, operation) do update
          set tokens = ${available} - 1,
              refilled_at = greatest(b.refilled_at, statement_timestamp())
          where ${available} >= 1
        returning 1
      )
      select true as granted, 0::float8 as wait_seconds from taken
      union all
      select false, (1 - ${available}) / b.rate_per_second
      from rate_buckets b
      where b.connection_id = ${connectionId} and b.operation = ${operation} and not exists (select 1 from taken)`);
    const row = rows[0];
    // No row: the bucket was created by another worker after this statement's snapshot; ask again.
    if (!row) return { granted: false, waitMs: 1 };
    return { granted: row.granted, waitMs: Math.max(1, Math.ceil(Number(row.wait_seconds) * 1000)) };
  }

  return {
    async acquire(connectionId, operation) {
      const started = Date.now();
      let slept = false;
      for (;;) {
        const { granted, waitMs } = await tryTake(connectionId, operation);
        // waitedMs is time spent queueing for a token, not the round trip of an immediate grant.
        if (granted) return { waitedMs: slept ? Date.now() - started : 0 };
        const waited = Date.now() - started;
        if (waited + waitMs > maxWaitMs) {
          throw new SpApiError('Throttled', `No ${operation} token for ${connectionId} within ${maxWaitMs} ms; next token in ${waitMs} ms`, {
            operation,
            scope: scopeForOperation(operation),
            connectionId,
            code: 'LocalRateLimit',
            retryAfterMs: waitMs,
          });
        }
        // Small jitter so workers that computed the same wait do not all wake in the same millisecond.
        await sleep(waitMs + Math.floor(Math.random() * Math.min(25, waitMs * 0.1 + 1)));
        slept = true;
      }
    },

    async observeRateLimit(connectionId, operation, ratePerSecond) {
      if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) return;
      // Settle the refill at the old rate up to now, then continue at the new one.
      await db.execute(sql`
        update rate_buckets b
        set tokens = ${available},
            refilled_at = greatest(b.refilled_at, statement_timestamp()),
            rate_per_second = ${ratePerSecond}
        where b.connection_id = ${connectionId} and b.operation = ${operation} and b.rate_per_second <> ${ratePerSecond}`);
    },

    async throttled(connectionId, operation) {
      const rows = await db.execute<{ wait_seconds: number }>(sql`
        update rate_buckets b
        set tokens = least(0, ${available}),
            refilled_at = greatest(b.refilled_at, statement_timestamp())
        where b.connection_id = ${connectionId} and b.operation = ${operation}
        returning (1 - b.tokens) / b.rate_per_second as wait_seconds`);
      const row = rows[0];
      return Math.ceil((row ? Number(row.wait_seconds) : 1 / planFor(operation).rate) * 1000);
    },
  };
}
