/**
 * `npm test`: starts the services integration tests need (embedded Postgres or DATABASE_URL,
 * a Temporal dev server with the Web UI), runs every test file with node's test runner, stops
 * what it started, and exits with the runner's code. Pass paths or substrings to run a subset:
 * `npm test -- test/unit` or `npm test -- orders`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startEmbeddedPostgres } from '../db/embedded';
import { provisionTemporal } from './lib/temporal-server';

function listTests(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listTests(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const all = listTests('test').sort();
  const files = filters.length === 0 ? all : all.filter((f) => filters.some((x) => f.includes(x)));
  if (files.length === 0) {
    console.error(`No test files match ${filters.join(' ')}`);
    return 1;
  }
  const needsServices = files.some((f) => !f.startsWith(path.join('test', 'unit')));
  const cleanups: Array<() => Promise<void>> = [];
  const env: NodeJS.ProcessEnv = { ...process.env };
  try {
    if (needsServices) {
      if (process.env.DATABASE_URL) env.CONDUIT_TEST_DATABASE_URL = process.env.DATABASE_URL;
      else {
        const pg = await startEmbeddedPostgres({ dataDir: path.join('.data', 'test'), port: await freePort() });
        cleanups.push(() => pg.stop());
        env.CONDUIT_TEST_DATABASE_URL = pg.url;
      }
      const port = await freePort();
      const temporal = await provisionTemporal({
        address: process.env.TEMPORAL_ADDRESS || undefined,
        namespace: 'default',
        cliPath: process.env.TEMPORAL_CLI_PATH || undefined,
        port,
        uiPort: await freePort(),
        log: (line) => console.log(line),
      });
      cleanups.push(() => temporal.stop());
      env.CONDUIT_TEST_TEMPORAL_ADDRESS = temporal.address;
      if (temporal.uiUrl) env.CONDUIT_TEST_TEMPORAL_UI = temporal.uiUrl;
    }
    fs.mkdirSync('.data', { recursive: true });
    const tapFile = path.join('.data', 'test-results.tap');
    const reporters = ['--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tapFile}`];
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', ...reporters, ...files], { stdio: 'inherit', env });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const code = await new Promise<number>((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
    const tap = fs.existsSync(tapFile) ? fs.readFileSync(tapFile, 'utf8') : '';
    const count = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
    console.log(`\n${count('pass')} passed, ${count('fail')} failed, ${count('skipped')} skipped`);
    return code;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err) => console.error(`cleanup: ${String(err)}`));
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`Test setup failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
