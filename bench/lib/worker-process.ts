/**
 * One Conduit worker as its own OS process, for the benchmark and the chaos run: the same
 * `createConduitWorker` + `createActivityDeps` wiring as `workers/main.ts`, but configured by the
 * harness (JSON in CONDUIT_BENCH_WORKER) and with Amazon's clock taken from the simulator (see
 * sim-clock.ts). It can be SIGKILLed at any moment; SIGTERM drains it. Over IPC it reports its
 * CPU time and memory once a second, and a last time on a clean exit.
 */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { jsonLogger, silentLogger } from '../../activities/deps';
import { conduitDataConverter } from '../../codec/payload-codec';
import { closeDb, openDb } from '../../db/client';
import { createSealer } from '../../spapi/secrets';
import { createActivityDeps } from '../../workers/deps';
import { createConduitWorker } from '../../workers/worker';
import { followSimulatorClock } from './sim-clock';

/** What the harness passes to a worker process. */
export interface WorkerProcessConfig {
  temporalAddress: string;
  taskQueue: string;
  databaseUrl: string;
  simulatorUrl: string;
  clientId: string;
  clientSecret: string;
  /** base64 of the 32-byte payload/refresh-token key (a key generated for this run). */
  key: string;
  keyId: string;
  workflowBundlePath: string;
  maxConcurrentActivities?: number;
  /** Log activity lines (JSON) to stdout; off = silent. */
  log?: boolean;
}

/** The stats message sent to the parent. */
export interface WorkerStatsMessage {
  type: 'stats';
  pid: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  rssBytes: number;
  maxRssBytes: number;
  final: boolean;
}

function stats(final: boolean): WorkerStatsMessage {
  const cpu = process.cpuUsage();
  return {
    type: 'stats',
    pid: process.pid,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    rssBytes: process.memoryUsage().rss,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    final,
  };
}

async function main(): Promise<void> {
  const raw = process.env.CONDUIT_BENCH_WORKER;
  if (!raw) throw new Error('CONDUIT_BENCH_WORKER is not set: this process is started by bench/lib/harness.ts');
  const cfg = JSON.parse(raw) as WorkerProcessConfig;
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => process.stderr.write(`${entry.level} ${entry.message}\n`)),
    telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN' }) } },
  });
  const key = Buffer.from(cfg.key, 'base64');
  const clock = await followSimulatorClock(cfg.simulatorUrl);
  const db = await openDb(cfg.databaseUrl, { max: 20 });
  const clientConnection = await Connection.connect({ address: cfg.temporalAddress });
  const workflowClient = new Client({ connection: clientConnection, dataConverter: conduitDataConverter(key, cfg.keyId) });
  const deps = createActivityDeps({
    db,
    sealer: createSealer(key, cfg.keyId),
    clientId: cfg.clientId,
    clientSecret: cfg.clientSecret,
    endpoint: cfg.simulatorUrl,
    workflowClient,
    taskQueue: cfg.taskQueue,
    log: cfg.log ? jsonLogger('info') : silentLogger,
  });
  deps.clock = clock.now;
  const { worker, connection } = await createConduitWorker(
    {
      address: cfg.temporalAddress,
      namespace: 'default',
      taskQueue: cfg.taskQueue,
      encryption: { key, keyId: cfg.keyId },
      workflowBundle: { codePath: cfg.workflowBundlePath },
      maxConcurrentActivityTaskExecutions: cfg.maxConcurrentActivities ?? 50,
    },
    deps,
  );
  const reporter = setInterval(() => process.send?.(stats(false)), 1000);
  const stop = () => worker.shutdown();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.send?.({ type: 'ready', pid: process.pid });
  await worker.run();
  clearInterval(reporter);
  clock.stop();
  await connection.close().catch(() => {});
  await clientConnection.close().catch(() => {});
  await closeDb(db).catch(() => {});
  process.send?.(stats(true));
}

main().then(
  () => {
    // Let the last IPC message go out; the --cpu-prof profile is written on this exit.
    setTimeout(() => process.exit(0), 100);
  },
  (err: unknown) => {
    process.stderr.write(`bench worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
