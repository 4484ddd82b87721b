/**
 * Replays committed histories of real order runs (FBM shipped, FBA shipped, cancelled before and
 * after despatch, a scheduled download, a notification hand-off) against today's workflow code.
 * A change that would break determinism for a running order fails here, before it is deployed.
 *
 * Histories are recorded by the integration test (`CONDUIT_RECORD_HISTORIES=1 node --import tsx
 * --test test/integration/orders.test.ts`) with payloads decoded (see history-file.ts), so the
 * default data converter replays them and no key is committed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { loadHistories } from './history-file';

test('every committed order history replays without nondeterminism', async (t) => {
  const histories = loadHistories();
  if (histories.length === 0) {
    t.skip('no histories committed yet: record them with CONDUIT_RECORD_HISTORIES=1');
    return;
  }
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const replayed: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowsPath: require.resolve('../../workflows'), replayName: 'orders-replay' }, histories)) {
    assert.equal(result.error, undefined, `${result.workflowId}: ${String(result.error)}`);
    replayed.push(result.workflowId);
  }
  assert.deepEqual(replayed.sort(), histories.map((h) => h.workflowId).sort());
  assert.ok(replayed.some((id) => id.startsWith('order-')));
});
