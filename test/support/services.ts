/**
 * Real services for integration tests. The test runner (scripts/run-tests.ts) starts one
 * embedded Postgres and one Temporal dev server for the whole run and passes their addresses
 * in CONDUIT_TEST_DATABASE_URL / CONDUIT_TEST_TEMPORAL_ADDRESS; a file run on its own starts
 * its own. Each test file gets a fresh database, so files never see each other's rows.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after } from 'node:test';
import postgres from 'postgres';
import { closeDb, migrateDb, openDb, type Db } from '../../db/client';
import { startEmbeddedPostgres } from '../../db/embedded';
import { provisionTemporal } from '../../scripts/lib/temporal-server';

export interface TestDatabase {
  db: Db;
  url: string;
  /** Closes connections and drops the database. */
  drop(): Promise<void>;
}

let ownPostgres: Promise<string> | undefined;
const ownServices: Array<() => Promise<void>> = [];
/** Databases handed out and not dropped yet. */
let openDatabases = 0;

// A file run on its own (not through `npm test`) starts its own servers; stop them once the
// file's tests are done, or their child processes keep the test process alive. (Under
// `npm test` the runner owns the servers and this hook has nothing to do.) This hook is
// registered at import, so it runs before the file's own `after` hooks (which drop their
// database, stop their stack): it only schedules the stop, which waits for those to finish.
after(() => {
  if (ownServices.length === 0) return;
  void (async () => {
    const deadline = Date.now() + 30_000;
    while (openDatabases > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500)); // a stack's workers and clients close just after its database
    for (const stop of ownServices.splice(0).reverse()) await stop().catch(() => {});
  })();
});

async function serverUrl(): Promise<string> {
  const fromRunner = process.env.CONDUIT_TEST_DATABASE_URL;
  if (fromRunner) return fromRunner;
  ownPostgres ??= (async () => {
    const port = 55000 + Math.floor(Math.random() * 2000);
    const pg = await startEmbeddedPostgres({ dataDir: path.join('.data', `test-pg-${port}`), port });
    ownServices.push(() => pg.stop());
    return pg.url;
  })();
  return ownPostgres;
}

/** A fresh, migrated database for one test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const base = await serverUrl();
  const name = `conduit_test_${randomBytes(4).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = base.replace(/\/[^/?]*(\?|$)/, `/${name}$1`);
  const db = await openDb(url);
  await migrateDb(db);
  openDatabases++;
  let dropped = false;
  return {
    db,
    url,
    drop: async () => {
      if (dropped) return;
      dropped = true;
      try {
        await closeDb(db);
        const a = postgres(base, { max: 1, onnotice: () => {} });
        await a.unsafe(`drop database if exists ${name} with (force)`);
        await a.end();
      } finally {
        openDatabases--;
      }
    },
  };
}

let ownTemporal: Promise<string> | undefined;

/** Address of a running Temporal dev server with Conduit's search attributes registered. */
export async function temporalAddress(): Promise<string> {
  const fromRunner = process.env.CONDUIT_TEST_TEMPORAL_ADDRESS;
  if (fromRunner) return fromRunner;
  ownTemporal ??= (async () => {
    const port = 57000 + Math.floor(Math.random() * 1000);
    const server = await provisionTemporal({ namespace: 'default', port, uiPort: port + 1000, cliPath: process.env.TEMPORAL_CLI_PATH });
    ownServices.push(() => server.stop());
    return server.address;
  })();
  return ownTemporal;
}

/** A unique task queue per test file so workers of different files never steal each other's tasks. */
export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}
