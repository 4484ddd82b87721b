/**
 * Engine cost: with the simulator's usage plans lifted (`rateLimits: false`) Amazon is never the
 * bottleneck, so what is measured is Conduit on this machine — FBM orders per second through the
 * whole lifecycle (download → allocate → despatch → confirmShipment → verified SHIPPED), the
 * worker process's CPU seconds and peak RSS per 1,000 orders, history events per order workflow,
 * and a CPU profile of the worker (`node --cpu-prof`) summarised by function and package.
 */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { orderWorkflowId } from '../../workflows/contracts/orders';
import { peakCatalogue } from './catalogue';
import { summariseProfiles, type ProfileSummary } from './cpu-profile';
import { sleep, startHarness, waitUntil } from './harness';
import { amazonOrders, census, percentile, round, startScaledSchedules, Warehouse } from './scenario';

export interface EngineCostOptions {
  orders: number;
  skus: number;
  timeScale: number;
  seed: number;
  timeoutS: number;
  dir: string;
  log: (line: string) => void;
}

export interface EngineCostResult {
  orders: number;
  shipped: number;
  seconds: number;
  ordersPerSecond: number;
  worker: { cpuSeconds: number; cpuSecondsPer1000Orders: number; peakRssMb: number; processes: number };
  /** The other processes of the engine on the same machine (Linux only): Temporal dev server (SQLite) and Postgres. */
  servers: { temporalCpuSecondsPer1000Orders: number | null; postgresCpuSecondsPer1000Orders: number | null };
  historyEventsPerOrder: { sampled: number; p50: number; p90: number; max: number; mean: number };
  machine: { cores: number; loadAverageStart: number[]; loadAverageEnd: number[] };
  profile: ProfileSummary;
}

export async function runEngineCost(opts: EngineCostOptions): Promise<EngineCostResult> {
  const log = opts.log;
  const profiles = path.join(path.resolve(opts.dir), 'profiles');
  fs.rmSync(profiles, { recursive: true, force: true });
  const catalogue = peakCatalogue(opts.skus, { fbmQuantity: 100_000, fbaQuantity: 100 }).map((i) => ({ ...i, fulfilment: 'FBM' as const, fbaQuantity: 0 }));
  const h = await startHarness({
    dir: opts.dir,
    timeScale: opts.timeScale,
    seed: opts.seed,
    catalogue,
    connectionId: 'uk-engine',
    rateLimits: false,
    cpuProfile: true,
    superviseWorkers: false,
    simulator: { pendingSeconds: 0 },
    persistentTemporal: false,
    log,
  });
  const loadAverageStart = os.loadavg();
  let warehouse: Warehouse | undefined;
  try {
    await startScaledSchedules(h, { returnsPickupMinutes: 6 * 60 });
    await h.control.setNotificationUrl(h.notifications.url);
    warehouse = new Warehouse(h, { limit: 200, concurrency: 32, everyMs: 200 });
    await sleep(1500); // the worker's first stats report: its start-up CPU is not the orders' cost
    const cpuBefore = h.workers.usage().cpuSeconds;
    const serversBefore = h.serverCpuSeconds();
    const t0 = Date.now();
    for (let made = 0; made < opts.orders; made += 500) await h.control.createRandomOrders(h.sellerId, { count: Math.min(500, opts.orders - made), fbaShare: 0, maxLines: 3 });
    const orders = amazonOrders(h);
    log(`engine: ${orders.length} FBM orders placed; waiting until every one is verified SHIPPED`);
    let lastLog = 0;
    await waitUntil(
      'every order SHIPPED',
      async () => {
        const byState = await census(h);
        if (Date.now() - lastLog > 15_000) {
          lastLog = Date.now();
          log(`  ${JSON.stringify(byState)} after ${Math.round((Date.now() - t0) / 1000)} s`);
        }
        return (byState.SHIPPED ?? 0) >= orders.length;
      },
      opts.timeoutS * 1000,
      1000,
    ).catch((err: Error) => log(`  ${err.message}`));
    const seconds = (Date.now() - t0) / 1000;
    const shipped = (await census(h)).SHIPPED ?? 0;
    const serversAfter = h.serverCpuSeconds();
    const per1000 = (before: number | undefined, after: number | undefined) =>
      before === undefined || after === undefined ? null : round(((after - before) / Math.max(1, shipped)) * 1000, 1);
    await warehouse.stop();
    warehouse = undefined;

    // History length of a sample of order workflows (every one up to 300).
    const sample = orders.slice(0, 300);
    const lengths: number[] = [];
    for (const o of sample) {
      const d = await h.client.workflow.getHandle(orderWorkflowId(o.marketplaceId, o.orderId)).describe().catch(() => undefined);
      if (d?.historyLength) lengths.push(d.historyLength);
    }
    // Drain the worker so its CPU profile is written, then read its totals.
    await h.workers.stop();
    const usage = h.workers.usage();
    const cpuSeconds = usage.cpuSeconds - cpuBefore;
    return {
      orders: orders.length,
      shipped,
      seconds: round(seconds, 1),
      ordersPerSecond: round(shipped / seconds, 2),
      worker: {
        cpuSeconds: round(cpuSeconds, 1),
        cpuSecondsPer1000Orders: round((cpuSeconds / Math.max(1, shipped)) * 1000, 1),
        peakRssMb: Math.round(usage.peakRssBytes / 1024 / 1024),
        processes: usage.processes,
      },
      servers: {
        temporalCpuSecondsPer1000Orders: per1000(serversBefore.temporal, serversAfter.temporal),
        postgresCpuSecondsPer1000Orders: per1000(serversBefore.postgres, serversAfter.postgres),
      },
      historyEventsPerOrder: {
        sampled: lengths.length,
        p50: percentile(lengths, 50),
        p90: percentile(lengths, 90),
        max: percentile(lengths, 100),
        mean: round(lengths.reduce((a, b) => a + b, 0) / Math.max(1, lengths.length), 1),
      },
      machine: { cores: os.cpus().length, loadAverageStart, loadAverageEnd: os.loadavg() },
      profile: summariseProfiles(profiles, 15),
    };
  } finally {
    await warehouse?.stop();
    await h.stop();
  }
}
