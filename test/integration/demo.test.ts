/**
 * The README's first command, as a user runs it: `npm run demo` on embedded defaults (its own
 * Postgres, Temporal dev server, simulator and worker, here on free ports and a fresh data folder)
 * downloads orders and its warehouse despatches FBM orders through the real `despatch` Update.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

test('npm run demo: orders arrive and the warehouse despatches FBM orders, then it stops cleanly', { timeout: 300_000 }, async () => {
  const dataDir = path.join('.data', `demo-test-${randomBytes(3).toString('hex')}`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CONDUIT_DATA_DIR: dataDir,
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    EMBEDDED_POSTGRES_PORT: String(await freePort()),
    CODEC_SERVER_PORT: String(await freePort()),
    NOTIFICATION_RECEIVER_PORT: String(await freePort()),
  };
  delete env.DATABASE_URL;
  delete env.TEMPORAL_ADDRESS;
  const args = ['--import', 'tsx', path.join('scripts', 'demo.ts'), '--exit-after', '90', '--no-summary', '--simulator-port', String(await freePort())];
  try {
    const run = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', (code) => resolve({ code, out }));
    });
    assert.equal(run.code, 0, run.out.slice(-3000));
    assert.match(run.out, /warehouse despatched \d+ FBM order/, 'the demo warehouse despatched at least one FBM order');
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
