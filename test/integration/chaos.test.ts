/**
 * The chaos run, CI size (`npm run chaos` is the bigger one): orders flow while the worker
 * process is SIGKILLed twice, the Temporal dev server and Postgres are restarted, SP-API answers
 * 5% 5xx and drops 2% of connections, the ORDERS scope is revoked and re-authorised through the
 * consent code, and access tokens expire. Every invariant must hold afterwards. Runs its own
 * Postgres and Temporal (it restarts them), so it never disturbs the shared test services.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { formatChaosReport, runChaos } from '../../bench/lib/chaos-run';

test('chaos: nothing lost, nothing doubled, nothing stuck without a reason', { timeout: 600_000 }, async () => {
  const report = await runChaos({
    orders: 30,
    skus: 24,
    timeScale: 30,
    seed: 11,
    durationS: 70,
    workerKills: 2,
    settleTimeoutS: 150,
    dir: path.join('.data', 'chaos-test'),
  });
  console.log(formatChaosReport(report));
  const kinds = report.injected.map((e) => e.what).join('\n');
  for (const injected of [/SIGKILL worker/, /Temporal dev server stopped and started/, /Postgres stopped and started/, /5% 5xx.*2% dropped/, /revoked/, /re-authorised/, /access token expired/]) {
    assert.match(kinds, injected, `injected: ${injected}`);
  }
  assert.ok(report.workers.kills >= 2);
  const failed = report.invariants.filter((i) => !i.ok);
  assert.deepEqual(failed, [], failed.map((i) => `${i.name}: ${i.found}`).join('\n'));
});
