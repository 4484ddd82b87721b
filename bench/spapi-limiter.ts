/**
 * Benchmark (not a test): a backlog of getOrder calls, larger than the burst, sent by N
 * concurrent callers for one seller, two ways in the same run against the SP-API simulator:
 *
 *   conduit  — our adapter with the shared Postgres token bucket (Temporal would own retries)
 *   plain    — amazon-sp-api on its own, auto_request_throttled: true (retry after 1/header on 429)
 *
 * Prints achieved calls/s against the usage-plan bound and the 429s the simulator counted, and
 * writes bench/results/spapi-limiter.json.
 *
 *   node --import tsx bench/spapi-limiter.ts [--backlog 150] [--concurrency 10] [--time-scale 20]
 *
 * Uses DATABASE_URL when set, else starts embedded Postgres under .data/bench-pg.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SellingPartner } from 'amazon-sp-api';
import { eq } from 'drizzle-orm';
import { closeDb, migrateDb, openDb, schema, type Db } from '../db/client';
import { startEmbeddedPostgres } from '../db/embedded';
import { SimulatorControl, type SimApp } from '../simulator/control-client';
import { startSimulator } from '../simulator/server';
import { createSpApiPort } from '../spapi/adapter';
import { SpApiError } from '../spapi/errors';
import { SimulatorAgent } from '../spapi/simulator-agent';
import { USAGE_PLANS } from '../spapi/usage-plans';

const UK = 'A1F83G8C2ARO7P';

interface RunResult {
  client: 'conduit' | 'plain';
  backlog: number;
  concurrency: number;
  completed: number;
  failed: Record<string, number>;
  seconds: number;
  /** Completed calls per real second. */
  callsPerSecond: number;
  /** What the usage plan allows over the same interval: (burst + rate × t) / t, real seconds. */
  planBoundPerSecond: number;
  /** Sustained plan rate in real seconds (rate × time scale). */
  planRatePerSecond: number;
  /** Requests that reached the simulator (retries included). */
  httpRequests: number;
  throttled429: number;
  latencyMsP50: number;
  latencyMsP95: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);
}

/** Runs `backlog` calls with `concurrency` loops; returns per-call latencies and failures. */
async function drain(backlog: number, concurrency: number, call: () => Promise<void>) {
  const latencies: number[] = [];
  const failed: Record<string, number> = {};
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < backlog) {
        next++;
        const t0 = performance.now();
        try {
          await call();
          latencies.push(performance.now() - t0);
        } catch (err) {
          const key = err instanceof SpApiError ? err.type : String((err as { code?: string }).code ?? 'error');
          failed[key] = (failed[key] ?? 0) + 1;
        }
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), failed, seconds: (performance.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { backlog: { type: 'string', default: '150' }, concurrency: { type: 'string', default: '10' }, 'time-scale': { type: 'string', default: '20' } },
  });
  const backlog = Number(values.backlog);
  const concurrency = Number(values.concurrency);
  const timeScale = Number(values['time-scale']);
  const plan = USAGE_PLANS.getOrder;
  const planRate = plan.rate * timeScale;

  let stopPostgres: (() => Promise<void>) | undefined;
  let url = process.env.DATABASE_URL;
  if (!url) {
    const pg = await startEmbeddedPostgres({ dataDir: path.join('.data', 'bench-pg'), port: await freePort() });
    stopPostgres = () => pg.stop();
    url = pg.url;
  }
  const db: Db = await openDb(url, { max: concurrency + 2 });
  await migrateDb(db);
  // Start from the usage plan, not from a bucket a previous run left behind.
  await db.delete(schema.rateBuckets).where(eq(schema.rateBuckets.connectionId, 'bench-conduit'));
  const sim = await startSimulator({ timeScale, seed: 42 });
  const control = new SimulatorControl(sim.url);
  const app: SimApp = await control.registerApp({ name: 'bench' });
  const results: RunResult[] = [];

  const seed = async (sellerId: string) => {
    const view = await control.seedSeller({
      sellerId,
      region: 'eu',
      marketplaceIds: [UK],
      clientId: app.clientId,
      roles: ['Selling Partner Insights'],
      catalogue: [{ sku: 'MUG-1', title: 'Mug', productType: 'HOME', price: 9.99, fulfilment: 'FBM', fbmQuantity: 1000 }],
    });
    const { orders } = await control.createOrders(sellerId, [{ items: [{ sku: 'MUG-1', quantity: 1 }], pendingSeconds: 0 }]);
    return { refreshToken: view.refreshToken!, orderId: orders[0]!.orderId };
  };
  const getOrderStats = async () => (await control.stats()).operations['orders.getOrder'] ?? { calls: 0, throttled: 0 };

  const record = async (client: RunResult['client'], run: () => ReturnType<typeof drain>) => {
    const before = await getOrderStats();
    const { latencies, failed, seconds } = await run();
    const after = await getOrderStats();
    results.push({
      client,
      backlog,
      concurrency,
      completed: latencies.length,
      failed,
      seconds: Number(seconds.toFixed(2)),
      callsPerSecond: Number((latencies.length / seconds).toFixed(2)),
      planBoundPerSecond: Number(((plan.burst + planRate * seconds) / seconds).toFixed(2)),
      planRatePerSecond: planRate,
      httpRequests: after.calls - before.calls,
      throttled429: after.throttled - before.throttled,
      latencyMsP50: percentile(latencies, 50),
      latencyMsP95: percentile(latencies, 95),
    });
  };

  try {
    // Conduit: adapter + shared Postgres bucket. A caller whose wait would pass 20 s gets
    // Throttled (Temporal would reschedule it); here every call fits inside that.
    const ours = await seed('A2BENCHCONDUIT');
    const port = createSpApiPort({
      connectionId: 'bench-conduit',
      region: 'eu',
      refreshToken: ours.refreshToken,
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      endpoint: sim.url,
      db,
    });
    await record('conduit', () => drain(backlog, concurrency, async () => void (await port.getOrder(ours.orderId))));

    // Plain amazon-sp-api: fire, and on 429 let the client wait 1/x-amzn-RateLimit-Limit and retry.
    const theirs = await seed('A2BENCHPLAIN');
    const plain = new SellingPartner({
      region: 'eu',
      refresh_token: theirs.refreshToken,
      credentials: { SELLING_PARTNER_APP_CLIENT_ID: app.clientId, SELLING_PARTNER_APP_CLIENT_SECRET: app.clientSecret },
      endpoints_versions: { orders: '2026-01-01' },
      options: { auto_request_throttled: true, retry_remote_timeout: false, https_proxy_agent: new SimulatorAgent(sim.url) },
    });
    await record('plain', () =>
      drain(backlog, concurrency, async () => void (await plain.callAPI({ operation: 'getOrder', endpoint: 'orders', path: { orderId: theirs.orderId } }))),
    );
  } finally {
    await sim.close();
    await closeDb(db);
    await stopPostgres?.();
  }

  const header = ['client', 'calls', 'seconds', 'calls/s', 'plan bound/s', 'plan rate/s', 'HTTP requests', '429s', 'p50 ms', 'p95 ms'];
  const rows = results.map((r) => [r.client, `${r.completed}/${r.backlog}`, r.seconds, r.callsPerSecond, r.planBoundPerSecond, r.planRatePerSecond, r.httpRequests, r.throttled429, r.latencyMsP50, r.latencyMsP95].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  console.log(`getOrder usage plan ${plan.rate}/s burst ${plan.burst}, simulator time scale ${timeScale} (= ${planRate}/s real), backlog ${backlog}, ${concurrency} concurrent callers`);
  console.log(line(header));
  for (const r of rows) console.log(line(r));

  const out = path.join(__dirname, 'results', 'spapi-limiter.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify({ at: new Date().toISOString(), operation: 'getOrder', plan, timeScale, results }, null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
