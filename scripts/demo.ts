/**
 * `npm run demo`: Conduit on embedded defaults. Starts embedded Postgres, a Temporal dev
 * server with the Web UI (decoding payloads through Conduit's codec server), the SP-API
 * simulator seeded with a UK seller, and a worker; then tells the story on the terminal.
 * Ctrl-C stops everything it started.
 *
 *   npm run demo -- --help
 */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { AesGcmPayloadCodec, conduitDataConverter } from '../codec/payload-codec';
import { startCodecServer } from '../codec/server';
import { loadConfig, type Config } from '../config';
import { exitWithClearError } from './lib/cli-errors';
import { loadOrCreateDevSecrets } from './lib/dev-secrets';
import { startDatabase, startTemporal } from './lib/runtime';
import { buildActivityDeps } from '../workers/deps';
import { createConduitWorker } from '../workers/worker';

const usage = `Usage: npm run demo -- [options]

Runs Conduit locally on embedded defaults: Postgres, Temporal dev server + Web UI, the SP-API
simulator (a UK seller) and a worker. Ctrl-C stops everything.

Options:
  --exit-after <seconds>   stop by itself after this long (0 = run until Ctrl-C)   [0]
  --help                   show this help
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { 'exit-after': { type: 'string', default: '0' }, help: { type: 'boolean', default: false } },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const exitAfter = Number(values['exit-after']);
  if (!Number.isFinite(exitAfter) || exitAfter < 0) throw new Error(`--exit-after must be a number of seconds ≥ 0, got "${values['exit-after']}"`);

  const base = loadConfig();
  const dev = loadOrCreateDevSecrets(base.CONDUIT_DATA_DIR);
  const config: Config = loadConfig({
    ...process.env,
    CONDUIT_ENCRYPTION_KEY: base.CONDUIT_ENCRYPTION_KEY ?? dev.encryptionKey,
    CODEC_SERVER_TOKEN: base.CODEC_SERVER_TOKEN ?? dev.codecToken,
    SPAPI_CLIENT_ID: base.SPAPI_CLIENT_ID ?? dev.clientId,
    SPAPI_CLIENT_SECRET: base.SPAPI_CLIENT_SECRET ?? dev.clientSecret,
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

    console.log(`\nConduit is up in ${((Date.now() - t0) / 1000).toFixed(1)}s.`);
    console.log(`  Temporal Web UI:  ${temporal.uiUrl ?? '(external server)'}`);
    console.log(`  Task queue:       ${config.TEMPORAL_TASK_QUEUE}`);
    console.log('Press Ctrl-C to stop.');
    if (exitAfter > 0) setTimeout(() => void stopAll(0), exitAfter * 1000);
    await running;
  } catch (err) {
    for (const { stop } of stops.reverse()) await stop().catch(() => {});
    throw err;
  }
}

main().catch(exitWithClearError);
