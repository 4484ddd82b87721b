import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig, parseDuration, spApiCredentials } from '../../config';

test('defaults are enough for the embedded demo', () => {
  const config = loadConfig({});
  assert.equal(config.TEMPORAL_ADDRESS, undefined);
  assert.equal(config.DATABASE_URL, undefined);
  assert.equal(config.ORDER_POLL_INTERVAL, 5 * 60_000);
  assert.equal(config.TEMPORAL_UI_PORT, 8233);
});

test('each bad variable gets one line naming it and the fix', () => {
  const err = (() => {
    try {
      loadConfig({ TEMPORAL_ADDRESS: 'not an address', DATABASE_URL: 'mysql://x', ORDER_POLL_INTERVAL: 'often', TEMPORAL_PORT: '99999', CONDUIT_ENCRYPTION_KEY: 'short' });
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.ok(err instanceof ConfigError);
  const names = err.lines.map((l) => l.split(':')[0]);
  assert.deepEqual(names.sort(), ['CONDUIT_ENCRYPTION_KEY', 'DATABASE_URL', 'ORDER_POLL_INTERVAL', 'TEMPORAL_ADDRESS', 'TEMPORAL_PORT']);
  assert.match(err.lines.find((l) => l.startsWith('ORDER_POLL_INTERVAL'))!, /30s, 5m or 1h/);
  // The key's value is never echoed.
  assert.ok(!err.message.includes('"short"'));
});

test('durations read as a merchant writes them', () => {
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.throws(() => parseDuration('5 minutes'), /not a duration/);
});

test('missing SP-API credentials are named when a client is needed', () => {
  assert.throws(() => spApiCredentials(loadConfig({})), (e: unknown) => e instanceof ConfigError && e.lines.length === 2 && /SPAPI_CLIENT_ID/.test(e.lines[0]!));
});
