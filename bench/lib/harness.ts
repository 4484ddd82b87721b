/**
 * A whole Conduit for the benchmark and the chaos run, made of separate, restartable pieces:
 * embedded Postgres on its own data folder (stop/start keeps the data), a Temporal dev server on
 * a SQLite file (stop/start keeps every workflow), the SP-API simulator in this process (it is
 * Amazon: it never restarts), worker OS processes (bench/lib/worker-process.ts) that can be
 * SIGKILLed and are restarted by a small supervisor, and the ORDER_CHANGE receiver.
 *
 * Conduit's own code runs unchanged: workers are `createConduitWorker` + `createActivityDeps`,
 * schedules and seeding go through the same functions as the demo.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { and, eq } from 'drizzle-orm';
import { startConnectionWorkflow } from '../../activities/auth';
import { silentLogger } from '../../activities/deps';
import { createStockLedgerActivities } from '../../activities/stock-ledger';
import { conduitDataConverter } from '../../codec/payload-codec';
import { closeDb, migrateDb, openDb, schema, type Db } from '../../db/client';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../db/embedded';
import { CONDUIT_ROLES, SCOPES } from '../../domain/scopes';
import { provisionTemporal, type TemporalServer } from '../../scripts/lib/temporal-server';
import { SimulatorControl, type SimApp, type SimCatalogueItem } from '../../simulator/control-client';
import type { SimulatorOptions } from '../../simulator/core';
import { startSimulator, type SimulatorHandle } from '../../simulator/server';
import { createSealer, type Sealer } from '../../spapi/secrets';
import { startNotificationReceiver, type NotificationReceiver } from '../../workers/notifications';
import type { WorkerProcessConfig, WorkerStatsMessage } from './worker-process';

export const UK = 'A1F83G8C2ARO7P';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user + system) a process used, plus its reaped children (Linux /proc); undefined elsewhere. */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces): utime=14, stime=15, cutime=16, cstime=17 (1-based).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
    return ticks / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** A process and its living children, CPU seconds (e.g. the Postgres postmaster and its backends). */
export function processTreeCpuSeconds(pid: number | undefined): number | undefined {
  const own = processCpuSeconds(pid);
  if (own === undefined) return undefined;
  let children = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children += processCpuSeconds(Number(entry)) ?? 0;
    } catch {
      /* gone */
    }
  }
  return own + children;
}

/** The pid of the process whose command line contains every one of `parts`, if any (Linux /proc). */
function findProcess(parts: string[]): number | undefined {
  if (!fs.existsSync('/proc')) return undefined;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (parts.every((p) => cmdline.includes(p))) return Number(entry);
    } catch {
      /* gone */
    }
  }
  return undefined;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns something truthy, or throws after `timeoutMs`. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs: number, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface HarnessOptions {
  /** Working folder (Postgres data, Temporal SQLite file, worker logs, profiles). */
  dir: string;
  timeScale: number;
  seed: number;
  /** false lifts the simulator's usage plans (engine cost). */
  rateLimits?: boolean;
  simulator?: Partial<SimulatorOptions>;
  catalogue: SimCatalogueItem[];
  connectionId?: string;
  /** Worker processes to start (default 1). */
  workers?: number;
  /** Write a V8 CPU profile of each worker process into `dir` (written on a clean exit). */
  cpuProfile?: boolean;
  /** Restart a worker process that exits unexpectedly (as a process manager would). Default true. */
  superviseWorkers?: boolean;
  /** Worker processes log activity lines (JSON) to their log file. */
  workerLogs?: boolean;
  /** Temporal keeps its history in a SQLite file so it can be restarted (chaos; default). false: in memory, faster. */
  persistentTemporal?: boolean;
  log?: (line: string) => void;
}

/** Workers as OS processes: start, SIGKILL, restart; CPU and memory as the processes report them. */
export class WorkerSupervisor {
  private readonly procs = new Map<number, { child: ChildProcess; last?: WorkerStatsMessage; expectedExit: boolean }>();
  private readonly finished: WorkerStatsMessage[] = [];
  private stopping = false;
  starts = 0;
  kills = 0;
  unexpectedExits = 0;

  constructor(
    private readonly config: WorkerProcessConfig,
    private readonly opts: { dir: string; cpuProfile: boolean; supervise: boolean; log: (line: string) => void },
  ) {}

  /** Starts one worker process and resolves once it polls its task queue. */
  async start(): Promise<number> {
    const n = ++this.starts;
    const out = fs.openSync(path.join(this.opts.dir, `worker-${n}.log`), 'a');
    const args = ['--import', 'tsx'];
    if (this.opts.cpuProfile) args.push('--cpu-prof', '--cpu-prof-dir', path.join(this.opts.dir, 'profiles'));
    args.push(path.join(__dirname, 'worker-process.ts'));
    const child = spawn(process.execPath, args, {
      env: { ...process.env, CONDUIT_BENCH_WORKER: JSON.stringify(this.config) },
      stdio: ['ignore', out, out, 'ipc'],
    });
    fs.closeSync(out);
    const pid = child.pid!;
    const entry: { child: ChildProcess; last?: WorkerStatsMessage; expectedExit: boolean } = { child, expectedExit: false };
    this.procs.set(pid, entry);
    const ready = new Promise<void>((resolve, reject) => {
      child.on('message', (m: { type?: string; final?: boolean }) => {
        if (m.type === 'ready') resolve();
        if (m.type === 'stats') entry.last = m as WorkerStatsMessage;
      });
      child.once('exit', (code, signal) => reject(new Error(`worker process ${pid} exited before it was ready (code ${code}, signal ${signal}); see ${this.opts.dir}/worker-${n}.log`)));
    });
    child.once('exit', (code, signal) => {
      this.procs.delete(pid);
      if (entry.last) this.finished.push(entry.last);
      if (!entry.expectedExit && !this.stopping) {
        this.unexpectedExits++;
        this.opts.log(`worker ${pid} exited unexpectedly (code ${code}, signal ${signal})${this.opts.supervise ? ': restarting it' : ''}`);
        if (this.opts.supervise) this.start().catch((err: Error) => this.opts.log(`worker restart failed: ${err.message}`));
      }
    });
    await ready;
    return pid;
  }

  pids(): number[] {
    return [...this.procs.keys()];
  }

  /** SIGKILLs one worker (the oldest) and starts a replacement, as a process manager would. */
  async killOne(opts: { restartAfterMs?: number } = {}): Promise<{ killed: number; started: number }> {
    const [pid] = this.pids();
    if (pid === undefined) throw new Error('no worker process to kill');
    const entry = this.procs.get(pid)!;
    entry.expectedExit = true;
    const exited = new Promise<void>((resolve) => entry.child.once('exit', () => resolve()));
    entry.child.kill('SIGKILL');
    this.kills++;
    await exited;
    if (opts.restartAfterMs) await sleep(opts.restartAfterMs);
    return { killed: pid, started: await this.start() };
  }

  /** Drains every worker with SIGTERM (their CPU profiles are written) and waits for them to exit. */
  async stop(timeoutMs = 40_000): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.procs.values()].map(
        (entry) =>
          new Promise<void>((resolve) => {
            entry.expectedExit = true;
            const timer = setTimeout(() => {
              entry.child.kill('SIGKILL');
              resolve();
            }, timeoutMs);
            entry.child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            entry.child.kill('SIGTERM');
          }),
      ),
    );
  }

  /** CPU seconds (user + system) and peak RSS over every worker process this supervisor ran. */
  usage(): { cpuSeconds: number; peakRssBytes: number; processes: number } {
    const all = [...this.finished, ...[...this.procs.values()].flatMap((e) => (e.last ? [e.last] : []))];
    return {
      cpuSeconds: all.reduce((s, m) => s + (m.cpuUserMs + m.cpuSystemMs) / 1000, 0),
      peakRssBytes: all.reduce((s, m) => Math.max(s, m.maxRssBytes), 0),
      processes: all.length,
    };
  }
}

export interface Harness {
  dir: string;
  db: Db;
  databaseUrl: string;
  simulator: SimulatorHandle;
  control: SimulatorControl;
  client: Client;
  taskQueue: string;
  connectionId: string;
  sellerId: string;
  app: SimApp;
  refreshToken: string;
  key: Buffer;
  keyId: string;
  sealer: Sealer;
  workers: WorkerSupervisor;
  notifications: NotificationReceiver;
  /** Amazon's (the simulator's) current time. */
  simNow(): Date;
  /** Simulated epoch ms of a real epoch-ms instant. */
  toSim(realMs: number): number;
  timeScale: number;
  /** CPU seconds used so far by the Temporal dev server and by Postgres (postmaster + backends); undefined off Linux. */
  serverCpuSeconds(): { temporal: number | undefined; postgres: number | undefined };
  /** Stops and starts the Temporal dev server on the same SQLite file; returns real ms it was away. */
  restartTemporal(): Promise<number>;
  /** Stops and starts embedded Postgres on the same data folder; returns real ms it was away. */
  restartPostgres(): Promise<number>;
  stop(): Promise<void>;
}

/** Seeds Conduit's catalogue and opening FBM stock from the simulator catalogue (one ledger entry per SKU). */
export async function seedConduitCatalogue(db: Db, connectionId: string, catalogue: SimCatalogueItem[]): Promise<void> {
  for (let i = 0; i < catalogue.length; i += 500) {
    const chunk = catalogue.slice(i, i + 500);
    await db
      .insert(schema.catalogueItems)
      .values(chunk.map((item) => ({ connectionId, sku: item.sku, asin: item.asin ?? null, title: item.title, productType: item.productType, fulfilment: item.fulfilment })))
      .onConflictDoNothing();
    const ledger = createStockLedgerActivities({ db, log: silentLogger });
    const movements = chunk
      .filter((item) => item.fulfilment !== 'FBA')
      .map((item) => ({ sku: item.sku, pool: 'FBM' as const, kind: 'ADJUST' as const, onHandDelta: item.fbmQuantity ?? 0, allocatedDelta: 0, idempotencyKey: `seed:${item.sku}`, reason: 'opening stock count' }));
    if (movements.length === 0) continue;
    const result = await ledger.recordMovements({ connectionId, movements });
    if (!result.ok) throw new Error(`seeding stock failed: ${result.message}`);
  }
}

/** Starts every piece, seeds one UK seller (simulator and Conduit) and starts the worker processes. */
export async function startHarness(opts: HarnessOptions): Promise<Harness> {
  const log = opts.log ?? (() => {});
  const dir = path.resolve(opts.dir);
  fs.mkdirSync(path.join(dir, 'profiles'), { recursive: true });
  const cleanups: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch((err: Error) => log(`cleanup: ${err.message}`));
  };
  // Ctrl-C (or a timeout's SIGTERM) still stops the servers and worker processes this harness started.
  const onSignal = () => void stopAll().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  cleanups.push(async () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });
  try {
    // Postgres: one cluster per harness folder, a fresh database per run.
    const pgPort = await freePort();
    const dbName = `conduit_${randomBytes(4).toString('hex')}`;
    let pg: EmbeddedDatabase = await startEmbeddedPostgres({ dataDir: dir, port: pgPort, database: dbName });
    cleanups.push(() => pg.stop());
    const databaseUrl = pg.url;
    // This run's database is dropped at the end; the cluster folder is reused by the next run.
    cleanups.push(async () => {
      const admin = await openDb(databaseUrl.replace(`/${dbName}`, '/postgres'), { max: 1 });
      await admin.$client.unsafe(`drop database if exists ${dbName} with (force)`);
      await closeDb(admin);
    });
    const db = await openDb(databaseUrl, { max: 10 });
    cleanups.push(() => closeDb(db));
    await migrateDb(db);
    log(`Postgres on 127.0.0.1:${pgPort} (database ${dbName}, data in ${dir}/postgres)`);

    // Temporal: a dev server on its own SQLite file, so a restart keeps every workflow.
    const temporalPort = await freePort();
    const uiPort = await freePort();
    const temporalDb = path.join(dir, `temporal-${dbName}.db`);
    const persistent = opts.persistentTemporal ?? true;
    const provision = () =>
      provisionTemporal({ namespace: 'default', port: temporalPort, uiPort, ...(persistent ? { dbFile: temporalDb } : {}), cliPath: process.env.TEMPORAL_CLI_PATH });
    let temporal: TemporalServer = await provision();
    cleanups.push(async () => {
      await temporal.stop();
      fs.rmSync(temporalDb, { force: true });
      for (const suffix of ['-shm', '-wal']) fs.rmSync(`${temporalDb}${suffix}`, { force: true });
    });
    log(`Temporal dev server on ${temporal.address} (history ${persistent ? `in ${temporalDb}` : 'in memory'})`);

    const simulator = await startSimulator({ port: 0, timeScale: opts.timeScale, seed: opts.seed, rateLimits: opts.rateLimits ?? true, ...opts.simulator });
    cleanups.push(() => simulator.close());
    const control = new SimulatorControl(simulator.url);
    const app = await control.registerApp({ name: 'Conduit (bench)' });
    const sellerId = `A${randomBytes(6).toString('hex').toUpperCase()}`;
    const seller = await control.seedSeller({ sellerId, region: 'eu', marketplaceIds: [UK], storeName: 'Peak Day Ltd', clientId: app.clientId, roles: [...CONDUIT_ROLES], catalogue: opts.catalogue.slice(0, 500) });
    for (let i = 500; i < opts.catalogue.length; i += 500) await control.addListings(sellerId, opts.catalogue.slice(i, i + 500));
    if (!seller.refreshToken) throw new Error('the simulator returned no refresh token');

    const key = randomBytes(32);
    const keyId = 'bench';
    const sealer = createSealer(key, keyId);
    const connectionId = opts.connectionId ?? 'uk-peak';
    await db.insert(schema.connections).values({
      id: connectionId,
      sellerId,
      region: 'eu',
      marketplaceIds: [UK],
      apiKind: 'SP_API',
      grantedScopes: [...SCOPES],
      refreshTokenEnc: sealer.seal(seller.refreshToken),
      authorisedAt: new Date(),
    });
    await seedConduitCatalogue(db, connectionId, opts.catalogue);
    log(`Seeded seller ${sellerId} with ${opts.catalogue.length} SKUs (simulator and Conduit)`);

    const connection = await Connection.connect({ address: temporal.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, dataConverter: conduitDataConverter(key, keyId) });
    const taskQueue = `bench-${randomBytes(3).toString('hex')}`;

    const bundlePath = path.join(dir, 'workflow-bundle.js');
    const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: { trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => log(`bundle: ${m}`), log() {} } });
    fs.writeFileSync(bundlePath, code);

    const workers = new WorkerSupervisor(
      {
        temporalAddress: temporal.address,
        taskQueue,
        databaseUrl,
        simulatorUrl: simulator.url,
        clientId: app.clientId,
        clientSecret: app.clientSecret,
        key: key.toString('base64'),
        keyId,
        workflowBundlePath: bundlePath,
        log: opts.workerLogs ?? false,
      },
      { dir, cpuProfile: opts.cpuProfile ?? false, supervise: opts.superviseWorkers ?? true, log },
    );
    cleanups.push(() => workers.stop());
    for (let i = 0; i < (opts.workers ?? 1); i++) await workers.start();
    log(`${workers.pids().length} worker process(es) on task queue ${taskQueue}: ${workers.pids().join(', ')}`);

    const notifications = await startNotificationReceiver({ port: 0, workflowClient: client, taskQueue });
    cleanups.push(() => notifications.close());
    await startConnectionWorkflow(client, taskQueue, connectionId);

    const harness: Harness = {
      dir,
      db,
      databaseUrl,
      simulator,
      control,
      client,
      taskQueue,
      connectionId,
      sellerId,
      app,
      refreshToken: seller.refreshToken,
      key,
      keyId,
      sealer,
      workers,
      notifications,
      timeScale: opts.timeScale,
      simNow: () => new Date(simulator.sim.core.now()),
      serverCpuSeconds: () => {
        const postmaster = Number(fs.readFileSync(path.join(dir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
        return { temporal: processCpuSeconds(findProcess(['start-dev', '--port', String(temporalPort)])), postgres: processTreeCpuSeconds(postmaster) };
      },
      toSim: (realMs: number) => simulator.sim.core.now() - (Date.now() - realMs) * simulator.sim.core.clock.timeScale,
      async restartTemporal() {
        if (!persistent) throw new Error('this harness keeps Temporal in memory: start it with persistentTemporal to restart it');
        const t0 = Date.now();
        await temporal.stop();
        temporal = await provision();
        return Date.now() - t0;
      },
      async restartPostgres() {
        const t0 = Date.now();
        await pg.stop();
        pg = await startEmbeddedPostgres({ dataDir: dir, port: pgPort, database: dbName });
        return Date.now() - t0;
      },
      async stop() {
        await stopAll();
      },
    };
    return harness;
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Current FBM figures of the ledger, per SKU (what Amazon should show once pushes settle). */
export async function ledgerAvailable(db: Db, connectionId: string): Promise<Map<string, { onHand: number; allocated: number; available: number; lastPushed: number | null }>> {
  const rows = await db
    .select({ sku: schema.stockPools.sku, onHand: schema.stockPools.onHand, allocated: schema.stockPools.allocated, lastPushed: schema.stockPools.lastPushedQuantity, buffer: schema.catalogueItems.buffer })
    .from(schema.stockPools)
    .innerJoin(schema.catalogueItems, and(eq(schema.catalogueItems.connectionId, schema.stockPools.connectionId), eq(schema.catalogueItems.sku, schema.stockPools.sku)))
    .where(and(eq(schema.stockPools.connectionId, connectionId), eq(schema.stockPools.pool, 'FBM')));
  const out = new Map<string, { onHand: number; allocated: number; available: number; lastPushed: number | null }>();
  for (const r of rows) out.set(r.sku, { onHand: r.onHand, allocated: r.allocated, available: Math.max(0, r.onHand - r.allocated - r.buffer), lastPushed: r.lastPushed });
  return out;
}
