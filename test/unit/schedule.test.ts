import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  isWithinWindow,
  nextWindowStart,
  millisecondsUntilWindow,
  overlaps,
  ukOffsetMinutes,
  ukLocalHour,
  lastSundayOf,
  windowHours,
  describeWindow,
  DEFAULT_FEED_WINDOW,
  DEFAULT_PEAK_HOURS,
  type DailyWindow,
} from '../../domain';

const w = (startHour: number, endHour: number): DailyWindow => ({ startHour, endHour, timeZone: 'Europe/London' });

test('British Summer Time runs from the last Sunday of March to the last Sunday of October, changing at 01:00 UTC', () => {
  assert.equal(lastSundayOf(2026, 3), 29);
  assert.equal(lastSundayOf(2026, 10), 25);
  assert.equal(ukOffsetMinutes('2026-03-29T00:59:59Z'), 0);
  assert.equal(ukOffsetMinutes('2026-03-29T01:00:00Z'), 60);
  assert.equal(ukOffsetMinutes('2026-10-25T00:59:59Z'), 60);
  assert.equal(ukOffsetMinutes('2026-10-25T01:00:00Z'), 0);
  assert.equal(ukLocalHour('2026-07-01T21:30:00Z'), 22);
  assert.equal(ukLocalHour('2026-01-15T21:30:00Z'), 21);
});

test('the default 22:00–06:00 window is judged in UK time, summer and winter', () => {
  assert.equal(isWithinWindow(DEFAULT_FEED_WINDOW, '2026-07-01T21:30:00Z'), true); // 22:30 BST
  assert.equal(isWithinWindow(DEFAULT_FEED_WINDOW, '2026-01-15T21:30:00Z'), false); // 21:30 GMT
  assert.equal(isWithinWindow(DEFAULT_FEED_WINDOW, '2026-07-01T05:30:00Z'), false); // 06:30 BST
  assert.equal(isWithinWindow(DEFAULT_FEED_WINDOW, '2026-01-15T05:30:00Z'), true); // 05:30 GMT
  assert.equal(isWithinWindow(DEFAULT_FEED_WINDOW, '2026-01-15T02:00:00Z'), true); // after midnight
  assert.equal(isWithinWindow(DEFAULT_FEED_WINDOW, '2026-01-15T12:00:00Z'), false);
});

test('on the night the clocks go forward the window closes at 06:00 BST, i.e. 05:00 UTC', () => {
  assert.equal(isWithinWindow(DEFAULT_FEED_WINDOW, '2026-03-29T00:30:00Z'), true);
  assert.equal(isWithinWindow(DEFAULT_FEED_WINDOW, '2026-03-29T04:59:00Z'), true);
  assert.equal(isWithinWindow(DEFAULT_FEED_WINDOW, '2026-03-29T05:00:00Z'), false);
});

test('the next feed window opens at 22:00 UK time: 21:00 UTC in summer, 22:00 UTC in winter', () => {
  assert.equal(nextWindowStart(DEFAULT_FEED_WINDOW, '2026-07-01T12:00:00Z'), '2026-07-01T21:00:00.000Z');
  assert.equal(nextWindowStart(DEFAULT_FEED_WINDOW, '2026-01-15T12:00:00Z'), '2026-01-15T22:00:00.000Z');
  // Already open: run now.
  assert.equal(nextWindowStart(DEFAULT_FEED_WINDOW, '2026-01-15T23:10:00Z'), '2026-01-15T23:10:00.000Z');
  assert.equal(millisecondsUntilWindow(DEFAULT_FEED_WINDOW, '2026-01-15T21:30:00Z'), 30 * 60_000);
  // Across the autumn change: the window opening on 25 Oct is 22:00 GMT.
  assert.equal(nextWindowStart(DEFAULT_FEED_WINDOW, '2026-10-25T12:00:00Z'), '2026-10-25T22:00:00.000Z');
});

test('a feed window overlapping peak trading hours is detected; the default one does not', () => {
  assert.equal(overlaps(DEFAULT_FEED_WINDOW, DEFAULT_PEAK_HOURS), false);
  assert.equal(overlaps(w(20, 2), DEFAULT_PEAK_HOURS), true);
  assert.equal(overlaps(w(21, 22), w(22, 23)), false); // end is exclusive
  assert.equal(overlaps(w(0, 0), w(3, 4)), true); // all day overlaps everything
  assert.deepEqual(windowHours(DEFAULT_FEED_WINDOW), [22, 23, 0, 1, 2, 3, 4, 5]);
  assert.equal(describeWindow(DEFAULT_FEED_WINDOW), '22:00–06:00 UK');
});

test('nonsense windows are programming errors', () => {
  assert.throws(() => isWithinWindow(w(25, 3), '2026-01-15T12:00:00Z'));
  assert.throws(() => isWithinWindow(w(1.5, 3), '2026-01-15T12:00:00Z'));
});

// ---- property tests -------------------------------------------------------------------------------

const instantArb = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31) }).map((ms) => new Date(ms).toISOString());
const windowArb = fc.record({ startHour: fc.integer({ min: 0, max: 23 }), endHour: fc.integer({ min: 0, max: 23 }) }).map(({ startHour, endHour }) => w(startHour, endHour));

test('property: the UK hour computed from the BST rules agrees with the time-zone database', () => {
  const fmt = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', hourCycle: 'h23' });
  fc.assert(
    fc.property(instantArb, (iso) => {
      assert.equal(ukLocalHour(iso), Number(fmt.format(new Date(iso))));
    }),
    { numRuns: 3000 },
  );
});

test('property: the next window start is open, not in the past, and no earlier hour was open', () => {
  fc.assert(
    fc.property(windowArb, instantArb, (window, now) => {
      const start = nextWindowStart(window, now);
      const startMs = Date.parse(start), nowMs = Date.parse(now);
      assert.ok(startMs >= nowMs);
      assert.ok(isWithinWindow(window, start));
      assert.ok(startMs - nowMs <= 25 * 3_600_000);
      for (let t = Math.floor(nowMs / 3_600_000) * 3_600_000 + 3_600_000; t < startMs; t += 3_600_000) {
        assert.ok(!isWithinWindow(window, new Date(t).toISOString()));
      }
      if (isWithinWindow(window, now)) assert.equal(startMs, nowMs);
    }),
    { numRuns: 1500 },
  );
});

test('property: overlap is symmetric and matches sharing an hour', () => {
  fc.assert(
    fc.property(windowArb, windowArb, fc.integer({ min: 0, max: 23 }), (a, b, hour) => {
      assert.equal(overlaps(a, b), overlaps(b, a));
      if (windowHours(a).includes(hour) && windowHours(b).includes(hour)) assert.ok(overlaps(a, b));
    }),
  );
});
