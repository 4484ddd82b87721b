/**
 * `npm run demo`: Conduit on embedded defaults. Starts embedded Postgres, a Temporal dev
 * server with the Web UI (decoding payloads through Conduit's codec server), the SP-API
 * simulator seeded with a UK seller, and a worker; then tells the story on the terminal.
 * Ctrl-C stops everything it started.
 *
 *   npm run demo -- --help
 */
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { AesGcmPayloadCodec, conduitDataConverter } from '../codec/payload-codec';
import { startCodecServer } from '../codec/server';
import { loadConfig, type Config } from '../config';
import { exitWithClearError } from './lib/cli-errors';
import { numberArg } from './lib/connection-cli';
import { loadOrCreateDevSecrets } from './lib/dev-secrets';
import { createDemoReturn, parseIncident, playIncident, readSummary, renderSummary, runDemoFeed, seedDemo, startDemoSchedules, warehouseTick } from './lib/demo-story';
import { startDatabase, startTemporal } from './lib/runtime';
import { startSimulator } from '../simulator/server';
import { SimulatorControl } from '../simulator/control-client';
import { createSealer } from '../spapi/secrets';
import { startNotificationReceiver } from '../workers/notifications';
import { buildActivityDeps } from '../workers/deps';
import { createConduitWorker } from '../workers/worker';

const usage = `Usage: npm run demo -- [options]

Runs Conduit locally on embedded defaults: Postgres, Temporal dev server + Web UI, the SP-API
simulator (a UK seller) and a worker. Ctrl-C stops everything.

Options:
  --time-scale <n>         Amazon runs n× faster than real time (schedules scale too)  [60]
  --order-rate <n>         new Amazon orders per simulated hour                          [240]
  --seed <n>               simulator seed (order ids, buyers)                            [time-based]
  --simulator-port <port>  where the SP-API simulator listens                            [8700]
  --incident <what>        play one of the guide's incidents 20 s in:
                             revoke:<SCOPE>   Amazon revokes a scope (SELLING_PARTNER_INSIGHTS,
                                              FULFILMENT_INVENTORY, ORDERS or FEEDS)
                             mws              the seller turns out to be on legacy MWS
                             peak:<orders>    a peak-day burst of orders at once
  --no-summary             no live terminal summary (log lines only)
  --exit-after <seconds>   stop by itself after this long (0 = run until Ctrl-C)         [0]
  --help                   show this help
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'time-scale': { type: 'string', default: '60' },
      'order-rate': { type: 'string', default: '240' },
      seed: { type: 'string' },
      'simulator-port': { type: 'string', default: '8700' },
      incident: { type: 'string' },
      'no-summary': { type: 'boolean', default: false },
      'exit-after': { type: 'string', default: '0' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const number = (flag: string, text: string | undefined, min: number, max: number) => numberArg(flag, text, { min, max });
  const exitAfter = number('exit-after', values['exit-after'], 0, 86_400);
  const timeScale = number('time-scale', values['time-scale'], 1, 10_000);
  const orderRate = number('order-rate', values['order-rate'], 0, 100_000);
  const simulatorPort = number('simulator-port', values['simulator-port'], 1, 65_535);
  const seed = values.seed === undefined ? Date.now() % 1_000_000_000 : number('seed', values.seed, 0, 2 ** 31);
  const incident = values.incident ? parseIncident(values.incident) : undefined;

  const base = loadConfig();
  const dev = loadOrCreateDevSecrets(base.CONDUIT_DATA_DIR);
  const config: Config = loadConfig({
    ...process.env,
    CONDUIT_ENCRYPTION_KEY: base.CONDUIT_ENCRYPTION_KEY ?? dev.encryptionKey,
    CODEC_SERVER_TOKEN: base.CODEC_SERVER_TOKEN ?? dev.codecToken,
    SPAPI_CLIENT_ID: base.SPAPI_CLIENT_ID ?? dev.clientId,
    SPAPI_CLIENT_SECRET: base.SPAPI_CLIENT_SECRET ?? dev.clientSecret,
    SPAPI_APPLICATION_ID: base.SPAPI_APPLICATION_ID ?? 'amzn1.sp.solution.conduit-demo',
    SPAPI_ENDPOINT: `http://127.0.0.1:${simulatorPort}`,
  });
  // Worker and SDK logs go to a file so the terminal shows the story; warnings and errors only.
  fs.mkdirSync(config.CONDUIT_DATA_DIR, { recursive: true });
  const logFile = path.join(config.CONDUIT_DATA_DIR, 'demo-worker.log');
  const logStream = fs.createWriteStream(logFile, { flags: 'a' });
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => logStream.write(`${new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString()} ${entry.level} ${entry.message} ${JSON.stringify(entry.meta ?? {})}\n`)),
    telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN' }) } },
  });
  const key = Buffer.from(config.CONDUIT_ENCRYPTION_KEY!, 'base64');
  const keyId = config.CONDUIT_ENCRYPTION_KEY_ID;

  const stops: Array<{ name: string; stop: () => Promise<void> }> = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping Conduit demo…');
    for (const { name, stop } of stops.reverse()) {
      await stop().catch((err: Error) => console.error(`  ${name}: ${err.message}`));
      console.log(`  stopped ${name}`);
    }
    process.exit(code);
  };
  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));

  try {
    const t0 = Date.now();
    const codec = await startCodecServer({
      codec: new AesGcmPayloadCodec({ [keyId]: key }, keyId),
      token: config.CODEC_SERVER_TOKEN!,
      port: config.CODEC_SERVER_PORT,
      corsOrigins: [`http://127.0.0.1:${config.TEMPORAL_UI_PORT}`, `http://localhost:${config.TEMPORAL_UI_PORT}`],
    });
    stops.push({ name: 'codec server', stop: codec.close });

    const database = await startDatabase(config, (line) => console.log(line));
    stops.push({ name: 'Postgres', stop: database.stop });

    const temporal = await startTemporal(config, { codecEndpoint: codec.endpoint, log: (line) => console.log(line) });
    stops.push({ name: 'Temporal dev server', stop: temporal.stop });

    const connection = await Connection.connect({ address: temporal.address });
    stops.push({ name: 'Temporal client', stop: () => connection.close() });
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: conduitDataConverter(key, keyId) });

    const simulator = await startSimulator({ port: simulatorPort, timeScale, seed });
    stops.push({ name: 'SP-API simulator', stop: simulator.close });
    const control = new SimulatorControl(simulator.url);
    const seller = await seedDemo({
      db: database.db,
      control,
      sealer: createSealer(key, keyId),
      clientId: config.SPAPI_CLIENT_ID!,
      clientSecret: config.SPAPI_CLIENT_SECRET!,
      applicationId: config.SPAPI_APPLICATION_ID!,
    });
    console.log(`SP-API simulator on ${simulator.url} (Amazon runs ${timeScale}× real time), UK seller ${seller.sellerId}`);

    const { worker, connection: workerConnection } = await createConduitWorker(
      { address: temporal.address, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE, encryption: { key, keyId } },
      buildActivityDeps(config, database.db, client),
    );
    const running = worker.run();
    stops.push({
      name: 'worker',
      stop: async () => {
        worker.shutdown();
        await running;
        await workerConnection.close();
      },
    });

    const notifications = await startNotificationReceiver({ port: 0, workflowClient: client, taskQueue: config.TEMPORAL_TASK_QUEUE });
    stops.push({ name: 'notification receiver', stop: notifications.close });
    await control.setNotificationUrl(notifications.url);
    const scaled = (ms: number) => Math.max(1_000, Math.round(ms / timeScale));
    await startDemoSchedules(client, config.TEMPORAL_TASK_QUEUE, {
      orderPollMs: scaled(config.ORDER_POLL_INTERVAL),
      fbaSyncMs: scaled(config.FBA_SYNC_INTERVAL),
      reconcileMs: scaled(config.RECONCILE_INTERVAL),
    });
    if (orderRate > 0) await control.startOrderGenerator({ sellerId: seller.sellerId, ordersPerHour: orderRate, fbaShare: 0.4, maxLines: 3 });

    const ui = temporal.uiUrl ?? '(external server)';
    console.log(`\nConduit is up in ${((Date.now() - t0) / 1000).toFixed(1)}s.`);
    console.log(`  Temporal Web UI   ${ui}   (payloads decoded by the codec server on ${codec.url})`);
    console.log(`  Look at           ${ui}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows?query=NeedsAttention%3Dtrue  ·  Schedules tab`);
    console.log(`  Operator CLI      npm run conduit -- --help`);
    console.log(`  Worker log        ${logFile}`);
    console.log('Press Ctrl-C to stop.\n');

    const started = Date.now();
    const counter = { n: 0 };
    const events: string[] = [];
    const note = (line: string) => {
      events.push(`${new Date().toISOString().slice(11, 19)} ${line}`);
      if (values['no-summary']) console.log(line);
    };
    let feedStarted = false;
    let returnCreated = false;
    let incidentPlayed = false;
    const tick = async () => {
      const elapsed = (Date.now() - started) / 1000;
      // Amazon's clock here is the simulator's (ahead of ours at --time-scale > 1): the parcel leaves just
      // after Amazon's last change to the order, on Amazon's timeline, as in the benchmarks' warehouse.
      const done = await warehouseTick(database.db, client, counter, { shipDateOf: (o) => o.amazonUpdatedAt }).catch(() => ({ despatched: 0, inspected: 0 }));
      if (done.despatched) note(`warehouse despatched ${done.despatched} FBM order(s)`);
      if (done.inspected) note(`warehouse inspected ${done.inspected} return(s)`);
      if (!feedStarted && elapsed > 15) {
        feedStarted = true;
        note(await runDemoFeed(database.db, client, config.TEMPORAL_TASK_QUEUE).catch((err: Error) => `bulk feed not started: ${err.message}`));
      }
      if (!returnCreated && elapsed > 25) {
        const created = await createDemoReturn(control, seller.sellerId).catch(() => undefined);
        if (created) {
          returnCreated = true;
          note(`a buyer returned ${created}; Conduit picks it up from Amazon's returns report`);
        }
      }
      if (incident && !incidentPlayed && elapsed > 20) {
        incidentPlayed = true;
        for (const line of await playIncident(incident, control, seller.sellerId, config.SPAPI_CLIENT_ID!)) note(line);
      }
      if (!values['no-summary']) {
        const summary = await readSummary(database.db);
        const clock = await control.clock().catch(() => undefined);
        const screen = renderSummary(summary, clock?.now?.slice(0, 19) ?? '?', Math.round(elapsed));
        process.stdout.write(`\x1b[2J\x1b[H${screen}\n\nRecent:\n${events.slice(-8).join('\n')}\n\nWeb UI ${ui} · Ctrl-C to stop\n`);
      }
    };
    let inflight: Promise<void> = Promise.resolve();
    let ticking = false;
    const timer = setInterval(() => {
      if (ticking) return;
      ticking = true;
      inflight = tick()
        .catch(() => {})
        .finally(() => (ticking = false));
    }, 2_000);
    stops.push({
      name: 'story',
      stop: async () => {
        clearInterval(timer);
        await inflight;
      },
    });
    if (exitAfter > 0) setTimeout(() => void stopAll(0), exitAfter * 1000);
    await running;
  } catch (err) {
    for (const { stop } of stops.reverse()) await stop().catch(() => {});
    throw err;
  }
}

main().catch(exitWithClearError);
