/**
 * `npm run bench`: Conduit against Amazon's limits and against the plain-client baseline, on the
 * simulator. Not a test: it prints tables and writes JSON to bench/results/. See bench/README.md
 * for what each figure means and how to reproduce it.
 *
 *   npm run bench                                   # the issue's sizes (5,000 orders, 2,000 SKUs)
 *   npm run bench -- --quick                        # a small run to try it out
 *   npm run bench -- --orders 5000 --skus 2000 --time-scale 6 --engine-orders 1000 --skip micro
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { numberArg, parseCliArgs, UsageError } from '../scripts/lib/connection-cli';
import { runBaseline, type BaselineResult } from './lib/baseline';
import { peakCatalogue } from './lib/catalogue';
import { runEngineCost, type EngineCostResult } from './lib/engine-cost';
import { runPeakDay, type PeakDayResult } from './lib/peak-day';

const usage = `Usage: npm run bench -- [options]

  --orders <n>          orders on the peak day (backlog + two steady streams)          [5000]
  --skus <n>            catalogue size: FBM, FBA and hybrid SKUs                        [2000]
  --time-scale <n>      simulated Amazon runs n× faster than real time                 [6]
  --stream-rate <n>     orders per simulated hour in the steady phases                  [400]
  --stream-orders <n>   orders in each steady phase                                     [4% of --orders]
  --adjustments <n>     warehouse stock counts inside (and outside) the bulk feed       [40]
  --engine-orders <n>   FBM orders for the engine-cost run (usage plans lifted)         [500]
  --seed <n>            simulator seed                                                  [42]
  --skip <list>         any of: peak, baseline, engine, micro (comma separated)
  --phase-timeout <s>   real seconds each phase may take                               [5400]
  --quick               200 orders, 100 SKUs, time scale 20, 100 engine orders, no micro benches
  --out <dir>           where the JSON goes                                             [bench/results]
`;

function table(title: string, header: string[], rows: Array<Array<string | number>>): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? (Number.isFinite(c) ? String(c) : c > 0 ? '∞' : '–') : c)));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [`\n${title}`, line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

const pct = (ratio: number) => (Number.isFinite(ratio) ? `${Math.round(ratio * 1000) / 10}%` : '–');
const x = (v: number) => (Number.isFinite(v) ? `${Math.round(v * 100) / 100}×` : '–');

/** Runs one of the other engineers' micro benchmarks as its own process and returns its JSON. */
async function micro(name: string, args: string[], out: string): Promise<unknown> {
  const file = path.join(out, `${name}.json`);
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, `${name}.ts`), ...args, ...(name === 'spapi-limiter' ? [] : ['--out', file])], { stdio: 'inherit' });
    child.on('exit', (c) => resolve(c ?? 1));
  });
  if (code !== 0 || !fs.existsSync(file)) return { error: `bench/${name}.ts exited ${code}` };
  return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
}

function printPeak(p: PeakDayResult, b: BaselineResult | undefined): void {
  const bl = p.intake.backlog;
  console.log(
    table(
      `Order intake (simulated time, time scale ${p.options.timeScale}×; Orders 2026 searchOrders ${0.0056}/s burst 20 × 100 orders/page, getOrder 0.5/s burst 30)`,
      ['measure', 'Conduit', 'anchor / bound', 'ratio', 'baseline (plain client)'],
      [
        [`backlog of ${bl.orders} orders: drained in (sim min)`, bl.drainedSimMinutes, `${bl.boundSimMinutes} (plan: ${bl.burstOrders} at once, then 100 per ${Math.round(1 / 0.0056)} s)`, pct(bl.ratioToBound), b ? `${b.backlog.drainedSimMinutes} (${pct(b.backlog.ratioToBound)})` : '–'],
        ['  orders/hour over the backlog', bl.achievedOrdersPerHour, bl.boundOrdersPerHour, pct(bl.ratioToBound), '–'],
        [
          '  orders/hour beyond the burst (sustained)',
          bl.sustained?.ordersPerHour ?? '–',
          bl.sustained?.boundOrdersPerHour ?? 2016,
          bl.sustained ? pct(bl.sustained.ratioToBound) : '– (backlog ≤ burst)',
          '–',
        ],
        ['  searchOrders pages used', bl.searchOrdersPages, Math.ceil(bl.orders / 100), '', b ? String(b.byOperation['orders.searchOrders']?.calls ?? '–') : '–'],
        [
          'intake latency, polling p50 / p99 (sim min)',
          `${p.intake.polling.p50} / ${p.intake.polling.p99}`,
          `${p.intake.polling.anchorMinutes} (5-min polling)`,
          x(p.intake.polling.p99 / p.intake.polling.anchorMinutes),
          b ? `${b.pollingLatencyMinutes.p50} / ${b.pollingLatencyMinutes.p99}` : '–',
        ],
        [
          'intake latency, notifications p50 / p99 (sim min)',
          `${p.intake.notifications.p50} / ${p.intake.notifications.p99}`,
          `goal p99 < ${p.intake.notifications.goalP99Minutes}; anchor 5`,
          x(p.intake.notifications.p99 / 5),
          'n/a (polls)',
        ],
      ],
    ),
  );
  const s = p.stock;
  console.log(
    table(
      'Stock: warehouse count → visible on Amazon (simulated minutes)',
      ['measure', 'p50', 'p99', 'max', 'n', 'anchor', 'p99 / anchor'],
      [
        ['without a concurrent feed', s.withoutFeed.p50, s.withoutFeed.p99, s.withoutFeed.max, s.withoutFeed.n, '30–90 (guide)', x(s.withoutFeed.p99 / s.anchorMinutes.min)],
        ['with a concurrent bulk feed', s.withFeed.p50, s.withFeed.p99, s.withFeed.max, s.withFeed.n, '30–90 (guide)', x(s.withFeed.p99 / s.anchorMinutes.min)],
      ],
    ),
  );
  console.log(`  feeds ${s.feeds}, feed/quantity collisions on Amazon ${s.feedCollisions} (goal 0), oversells ${s.oversells} (goal 0), SKUs off the ledger after settling ${s.driftAfterSettle}`);
  const t = p.throttling;
  const l = p.lifecycle;
  console.log(
    table(
      'Throttling and call economy',
      ['measure', 'Conduit', 'baseline (plain client + Linnworks-style polling)', 'Conduit / baseline'],
      [
        ['429s / calls, steady state', `${t.steady.throttled} / ${t.steady.calls} (${pct(t.steady.ratio)})`, '–', ''],
        ['429s / calls, whole run', `${t.all.throttled} / ${t.all.calls} (${pct(t.all.ratio)})`, b ? `${b.throttled} / ${b.calls} (${pct(b.ratio)})` : '–', ''],
        ['SP-API calls per order (429s included)', t.callsPerOrder, b ? b.callsPerOrder : '–', b ? x(t.callsPerOrder / b.callsPerOrder) : ''],
        [
          'FBM orders not shipped on Amazon when the run ended',
          Object.entries(l.byState).filter(([k]) => !['SHIPPED', 'CANCELLED', 'FBA_RECORDED', 'FBA_SHIPPED'].includes(k)).reduce((n, [, v]) => n + v, 0),
          b ? `${b.fbmUnshippedOnAmazon} of ${b.fbmOrders} (${b.ended === 'DOWNLOADED_ALL' ? 'caught up' : b.ended === 'CONDUIT_DONE' ? 'stopped 10 min after Conduit settled' : 'timed out'}; ${b.notDownloaded} never downloaded)` : '–',
          '',
        ],
      ],
    ),
  );
  console.log(
    `  lifecycle: ${Object.entries(l.byState).map(([k, v]) => `${k} ${v}`).join(', ')}; ${l.confirmations} confirmShipment accepted for ${l.despatched} packages; ` +
      `${l.cancelledByBuyers} buyer cancellations; ${l.returnsCreated} returns (${Object.entries(l.returnsByStatus).map(([k, v]) => `${k} ${v}`).join(', ') || 'none picked up'}); ${l.fbaSyncRuns} FBA syncs`,
  );
  console.log(`  ${p.realSeconds} s real, ${p.simMinutes} simulated minutes`);
}

function printEngine(e: EngineCostResult): void {
  console.log(
    table(
      `Engine cost (usage plans lifted; ${e.machine.cores} cores; load average ${e.machine.loadAverageStart.map((v) => v.toFixed(1)).join(' ')} → ${e.machine.loadAverageEnd.map((v) => v.toFixed(1)).join(' ')})`,
      ['measure', 'value'],
      [
        ['FBM orders through the full lifecycle', `${e.shipped}/${e.orders} in ${e.seconds} s`],
        ['orders / second', e.ordersPerSecond],
        ['worker CPU-seconds per 1,000 orders', e.worker.cpuSecondsPer1000Orders],
        ['worker peak RSS (MB)', e.worker.peakRssMb],
        ['Temporal dev server CPU-seconds per 1,000 orders (SQLite)', e.servers?.temporalCpuSecondsPer1000Orders ?? '–'],
        ['Postgres CPU-seconds per 1,000 orders', e.servers?.postgresCpuSecondsPer1000Orders ?? '–'],
        ['history events per order workflow p50 / p90 / max', `${e.historyEventsPerOrder.p50} / ${e.historyEventsPerOrder.p90} / ${e.historyEventsPerOrder.max}`],
      ],
    ),
  );
  console.log(table('Worker CPU profile: top functions by self time', ['function', 'where', 'self ms', 'share'], e.profile.topFunctions.slice(0, 12).map((f) => [f.function, f.where, f.selfMs, `${f.share}%`])));
  console.log(table('Worker CPU profile: by package', ['package', 'self ms', 'share'], e.profile.byPackage.slice(0, 10).map((p) => [p.package, p.selfMs, `${p.share}%`])));
}

async function main(): Promise<number> {
  const { values } = parseCliArgs(process.argv.slice(2), {
    orders: { type: 'string' },
    skus: { type: 'string' },
    'time-scale': { type: 'string' },
    'stream-rate': { type: 'string' },
    'stream-orders': { type: 'string' },
    adjustments: { type: 'string' },
    'engine-orders': { type: 'string' },
    seed: { type: 'string', default: '42' },
    skip: { type: 'string', default: '' },
    'phase-timeout': { type: 'string' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: path.join('bench', 'results') },
    help: { type: 'boolean', default: false },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const num = (flag: string, text: string | undefined, fallback: number, min: number, max: number) => numberArg(flag, text, { min, max, fallback });
  const q = values.quick;
  const orders = num('orders', values.orders, q ? 200 : 5000, 10, 200_000);
  const skus = num('skus', values.skus, q ? 100 : 2000, 8, 100_000);
  const timeScale = num('time-scale', values['time-scale'], q ? 20 : 6, 1, 1000);
  const streamOrders = num('stream-orders', values['stream-orders'], Math.max(30, Math.round(orders * 0.04)), 1, orders / 2);
  const skip = new Set(values.skip.split(',').map((s) => s.trim()).filter(Boolean));
  for (const s of skip) if (!['peak', 'baseline', 'engine', 'micro'].includes(s)) throw new Error(`--skip takes peak, baseline, engine, micro (got "${s}")`);
  if (q) skip.add('micro');
  const seed = num('seed', values.seed, 42, 0, 2 ** 31);
  const phaseTimeoutS = num('phase-timeout', values['phase-timeout'], q ? 900 : 5400, 30, 86_400);
  const log = (line: string) => console.log(`  · ${line}`);
  fs.mkdirSync(values.out, { recursive: true });
  const machine = { cores: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 1e9), loadAverageStart: os.loadavg(), node: process.version };
  console.log(`Conduit benchmark: ${orders} orders, ${skus} SKUs, time scale ${timeScale}× on ${machine.cores} cores (load average ${machine.loadAverageStart.map((l) => l.toFixed(1)).join(' ')})`);
  const started = Date.now();
  const file = path.join(values.out, q ? 'peak-day.quick.json' : 'peak-day.json');
  // Sections this run skips keep what an earlier run wrote (each section carries its own options and time).
  const earlier = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  const results: Record<string, unknown> = { ...earlier, at: new Date().toISOString(), machine, options: { orders, skus, timeScale, streamOrders, seed, quick: q, skip: [...skip] } };
  const save = () => fs.writeFileSync(file, `${JSON.stringify({ ...results, realSeconds: Math.round((Date.now() - started) / 1000) }, null, 2)}\n`);

  let peak: PeakDayResult | undefined;
  let baseline: BaselineResult | undefined;
  const streamRate = num('stream-rate', values['stream-rate'], 400, 1, 100_000);
  const backlog = Math.max(1, orders - 2 * streamOrders);
  const runs: Array<Promise<void>> = [];
  let peakRun: Promise<void> | undefined;
  if (!skip.has('peak')) {
    peakRun = runPeakDay({
      orders,
      skus,
      timeScale,
      seed,
      streamRate,
      streamOrders,
      adjustments: num('adjustments', values.adjustments, q ? 8 : 40, 1, 10_000),
      phaseTimeoutS,
      dir: path.join('.data', 'bench', 'peak'),
      log,
      checkpoint: (partial) => {
        results.peakDayPartial = { at: new Date().toISOString(), loadAverage: os.loadavg(), ...partial };
        save();
      },
    }).then((r) => {
      delete results.peakDayPartial;
      peak = r;
      results.peakDay = { at: new Date().toISOString(), loadAverage: os.loadavg(), ...r };
      save();
    });
    runs.push(peakRun);
  }
  if (!skip.has('baseline')) {
    // Same workload on its own simulator, at the same time as Conduit's run (it is mostly waiting on 429s).
    runs.push(
      runBaseline({
        backlog,
        streamOrders,
        streamRate,
        timeScale,
        seed,
        catalogue: peakCatalogue(skus, { fbmQuantity: 60, fbaQuantity: 80 }),
        timeoutS: phaseTimeoutS * 2,
        // Side by side: once Conduit's day has settled the baseline gets 10 more real minutes, then reports what it had not done.
        ...(peakRun ? { stopAfter: { settled: peakRun, graceS: 600 } } : {}),
        log: (l) => log(`baseline: ${l}`),
      }).then((r) => {
        baseline = r;
        results.baseline = { at: new Date().toISOString(), ...r };
        save();
      }),
    );
  }
  await Promise.all(runs);
  if (peak) printPeak(peak, baseline);
  else if (baseline) console.log(JSON.stringify(baseline, null, 2));

  if (!skip.has('engine')) {
    const engine = await runEngineCost({
      orders: num('engine-orders', values['engine-orders'], q ? 100 : 500, 10, 100_000),
      skus: Math.min(skus, 500),
      timeScale: 60,
      seed,
      timeoutS: phaseTimeoutS,
      dir: path.join('.data', 'bench', 'engine'),
      log,
    });
    results.engineCost = { at: new Date().toISOString(), ...engine };
    save();
    printEngine(engine);
  }
  if (!skip.has('micro')) {
    console.log('\nMicro benchmarks (other engineers\' benches, each its own process):');
    results.micro = {
      at: new Date().toISOString(),
      spapiLimiter: await micro('spapi-limiter', [], values.out),
      stockLatency: await micro('stock-latency', [], values.out),
      feedsCollision: await micro('feeds-collision', [], values.out),
    };
    save();
  }
  results.machine = { ...machine, loadAverageEnd: os.loadavg() };
  save();
  console.log(`\nwrote ${file} (${Math.round((Date.now() - started) / 1000)} s)`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) console.error(`${err.message}\n\n${usage}`);
    else console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
