/**
 * Stock-change-to-Amazon latency: warehouse adjustments land in bursts on a handful of SKUs; for
 * each change we measure, in simulated time from the simulator's quantity-change history, how long
 * until Amazon accepted a push carrying it and until the figure was visible, plus pushes per change
 * (coalescing). Prints a table and writes bench/results/stock-latency.json.
 *
 *   npx tsx bench/stock-latency.ts [--changes 150] [--skus 5] [--burst 5] [--rate 25] [--time-scale 60] [--settle 0ms,250ms]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { and, eq, gte } from 'drizzle-orm';
import { adjustWarehouseStock } from '../activities/stock';
import { schema } from '../db/client';
import { fbmAvailable } from '../domain/stock';
import { pendingPushQuery, skuPushWorkflowId, stockChangedSignal, type SkuStockPushInput } from '../workflows/contracts/stock';
import { startStack, type Stack } from '../test/support/stack';

interface RunResult {
  settle: string;
  changes: number;
  pushes: number;
  /** Changes undone by later changes before a push carried them: nothing to send, Amazon already right. */
  nettedOut: number;
  pushesPerChange: number;
  acceptedSeconds: Stats;
  visibleSeconds: Stats;
  /** The same latencies in real milliseconds (simulated ÷ time scale). */
  visibleRealMs: Stats;
  settledAfterRealMs: number;
}

interface Stats {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
  const round = (v: number) => Math.round(v * 100) / 100;
  return { p50: round(at(50)), p90: round(at(90)), p99: round(at(99)), max: round(at(100)), mean: round(sorted.reduce((s, v) => s + v, 0) / Math.max(1, sorted.length)) };
}

async function run(stack: Stack, opts: { changes: number; skus: string[]; burst: number; rate: number; settle: string; timeScale: number }, runNo: number): Promise<RunResult> {
  const deps = { db: stack.db, log: stack.deps.log, workflowClient: stack.client, taskQueue: stack.taskQueue, clock: () => new Date() };
  // Start each SKU's push workflow with this run's settle window (later requestStockPush calls only signal it).
  for (const sku of opts.skus) {
    const args: [SkuStockPushInput & { tuning: { settle: string } }] = [{ connectionId: stack.connectionId, sku, tuning: { settle: opts.settle } }];
    const handle = stack.client.workflow.getHandle(skuPushWorkflowId(stack.connectionId, sku));
    await handle.terminate('benchmark: new settle window').catch(() => {});
    await stack.client.workflow.signalWithStart('skuStockPush', { workflowId: skuPushWorkflowId(stack.connectionId, sku), taskQueue: stack.taskQueue, args, signal: stockChangedSignal, signalArgs: [{ cause: 'BENCH_WARMUP' }] });
  }
  // Let the warm-up push (first figure of each workflow) finish so it is not counted below.
  for (const sku of opts.skus) {
    const handle = stack.client.workflow.getHandle(skuPushWorkflowId(stack.connectionId, sku));
    for (let state = await handle.query(pendingPushQuery); state.pending || state.lastPushedQuantity === null; state = await handle.query(pendingPushQuery)) {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await settled(stack, opts.skus);

  // Real → simulated clock mapping (the simulator runs timeScale× faster from a known point).
  const before = Date.now();
  const clock = await stack.control.clock();
  const realAt = (before + Date.now()) / 2;
  const toSim = (realMs: number) => clock.nowMs + (realMs - realAt) * clock.timeScale;

  const startedReal = new Date();
  const gap = 1000 / opts.rate;
  for (let i = 0; i < opts.changes; i++) {
    const sku = opts.skus[Math.floor(i / opts.burst) % opts.skus.length]!;
    const delta = i % 3 === 2 ? -1 : 1;
    const t = Date.now();
    const result = await adjustWarehouseStock(deps, { connectionId: stack.connectionId, sku, delta, reason: 'benchmark', key: `bench-${runNo}-${i}` });
    if (!result.ok) {
      const pools = await stack.db.select().from(schema.stockPools).where(eq(schema.stockPools.sku, sku));
      throw new Error(`change ${i}: ${result.message} ${JSON.stringify(pools)}`);
    }
    const wait = gap - (Date.now() - t);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const lastChangeReal = Date.now();
  await settled(stack, opts.skus);
  const settledAfterRealMs = Date.now() - lastChangeReal;

  const changes = await stack.db
    .select({ sku: schema.stockLedger.sku, createdAt: schema.stockLedger.createdAt })
    .from(schema.stockLedger)
    .where(and(eq(schema.stockLedger.connectionId, stack.connectionId), eq(schema.stockLedger.kind, 'ADJUST'), gte(schema.stockLedger.createdAt, startedReal)));
  const accepted: number[] = [];
  const visible: number[] = [];
  let pushes = 0;
  let nettedOut = 0;
  const startSim = toSim(startedReal.getTime());
  for (const sku of opts.skus) {
    const history = (await stack.control.listing(stack.sellerId, sku)).quantityHistory
      .filter((c) => c.source === 'patch')
      .map((c) => ({ requested: Date.parse(c.requestedAt), applied: Date.parse(c.appliedAt) }))
      .sort((a, b) => a.requested - b.requested);
    pushes += history.filter((h) => h.requested >= startSim).length;
    for (const change of changes.filter((c) => c.sku === sku)) {
      const at = toSim(change.createdAt.getTime());
      const push = history.find((h) => h.requested >= at);
      // No later push: later changes cancelled this one out and Amazon already showed the figure (skipped as unchanged).
      if (!push) {
        nettedOut++;
        continue;
      }
      accepted.push((push.requested - at) / 1000);
      visible.push((push.applied - at) / 1000);
    }
  }
  return {
    settle: opts.settle,
    changes: changes.length,
    pushes,
    nettedOut,
    pushesPerChange: Math.round((pushes / Math.max(1, changes.length)) * 1000) / 1000,
    acceptedSeconds: stats(accepted),
    visibleSeconds: stats(visible),
    visibleRealMs: stats(visible.map((s) => (s * 1000) / opts.timeScale)),
    settledAfterRealMs,
  };
}

/** Waits until Amazon shows the ledger's FBM figure for every SKU. */
async function settled(stack: Stack, skus: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    let all = true;
    for (const sku of skus) {
      const [pool] = await stack.db.select().from(schema.stockPools).where(and(eq(schema.stockPools.connectionId, stack.connectionId), eq(schema.stockPools.sku, sku), eq(schema.stockPools.pool, 'FBM')));
      const listing = await stack.control.listing(stack.sellerId, sku);
      if (listing.quantity !== fbmAvailable({ onHand: pool?.onHand ?? 0, allocated: pool?.allocated ?? 0, buffer: 0 }) || listing.pendingQuantityChanges.length > 0) all = false;
    }
    if (all) return;
    if (Date.now() > deadline) throw new Error('Amazon did not settle on the ledger within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      changes: { type: 'string', default: '150' },
      skus: { type: 'string', default: '5' },
      burst: { type: 'string', default: '5' },
      rate: { type: 'string', default: '25' },
      'time-scale': { type: 'string', default: '60' },
      settle: { type: 'string', default: '0ms,250ms' },
      out: { type: 'string', default: path.join('bench', 'results', 'stock-latency.json') },
    },
  });
  const timeScale = Number(values['time-scale']);
  const skus = Array.from({ length: Number(values.skus) }, (_, i) => `BENCH-${String(i + 1).padStart(2, '0')}`);
  const stack = await startStack({
    // Business-key workflow IDs include the connection: a fresh one keeps runs on a shared server apart.
    connectionId: `uk-bench-${Date.now().toString(36)}`,
    timeScale,
    seed: 7,
    catalogue: skus.map((sku) => ({ sku, title: `Bench item ${sku}`, productType: 'HAT', price: 10, fulfilment: 'FBM' as const, fbmQuantity: 1000 })),
  });
  try {
    const results: RunResult[] = [];
    let runNo = 0;
    for (const settle of values.settle.split(',').map((s) => s.trim().replace(/^(\d+)ms$/, '$1 milliseconds'))) {
      results.push(await run(stack, { changes: Number(values.changes), skus, burst: Number(values.burst), rate: Number(values.rate), settle, timeScale }, ++runNo));
    }
    const rows = results.map((r) => [
      r.settle,
      String(r.changes),
      String(r.pushes),
      r.pushesPerChange.toFixed(3),
      `${r.acceptedSeconds.p50} / ${r.acceptedSeconds.p99}`,
      `${r.visibleSeconds.p50} / ${r.visibleSeconds.p99}`,
      `${r.visibleRealMs.p50} / ${r.visibleRealMs.p99}`,
    ]);
    const header = ['settle window', 'changes', 'pushes', 'pushes/change', 'accepted p50/p99 (sim s)', 'visible p50/p99 (sim s)', 'visible p50/p99 (real ms)'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
    console.log(`\nStock change → Amazon (time scale ${timeScale}×, ${skus.length} SKUs, bursts of ${values.burst}, ${values.rate} changes/s; "visible" includes Amazon's own apply delay)\n`);
    console.log(line(header));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const r of rows) console.log(line(r));
    fs.mkdirSync(path.dirname(values.out), { recursive: true });
    fs.writeFileSync(
      values.out,
      JSON.stringify({ at: new Date().toISOString(), timeScale, skus: skus.length, burst: Number(values.burst), ratePerSecond: Number(values.rate), results }, null, 2) + '\n',
    );
    console.log(`\nwrote ${values.out}`);
  } finally {
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(err.stack ?? err.message);
    process.exit(1);
  },
);
