import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from '../../simulator/cli';

const root = path.resolve(__dirname, '..', '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
const cli = path.join(root, 'simulator', 'cli.ts');

test('--help documents every option', () => {
  const run = spawnSync(tsx, [cli, '--help'], { encoding: 'utf8' });
  assert.equal(run.status, 0);
  for (const flag of ['--port', '--time-scale', '--seed', '--notify-url', '--token-ttl', '--fba-lag', '--feed-collision', '--feed-queue', '--feed-run', '--report-time', '--pending', '--fba-ship', '--listing-apply', '--mws-delay', '--start-time', '--no-rate-limits', '--record-exchanges', '--models-dir']) {
    assert.ok(run.stdout.includes(flag), flag);
  }
});

test('a bad option prints one clear line and exits 2', () => {
  const run = spawnSync(tsx, [cli, '--time-scale', 'fast'], { encoding: 'utf8' });
  assert.equal(run.status, 2);
  assert.equal(run.stderr.trim().split('\n').length, 1);
  assert.match(run.stderr, /--time-scale must be a number > 0, got "fast"/);
  const unknown = spawnSync(tsx, [cli, '--colour'], { encoding: 'utf8' });
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown option --colour/);
});

test('options map onto SimulatorOptions', () => {
  assert.deepEqual(parseArgs(['--port', '0', '--time-scale=60', '--seed', '5', '--feed-collision', '60-120', '--no-rate-limits', '--fba-lag', '0']), {
    port: 0,
    timeScale: 60,
    seed: 5,
    feedProcessingSeconds: { min: 60, max: 120 },
    rateLimits: false,
    fbaLagSeconds: 0,
  });
  assert.throws(() => parseArgs(['--feed-collision', '90-30']), /max 30 is below min 90/);
  assert.throws(() => parseArgs(['--notify-url', 'ftp://x']), /http\(s\) URL/);
});

test('the CLI serves the control API and stops on SIGTERM', async () => {
  const child = spawn(tsx, [cli, '--port', '0', '--time-scale', '10'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
    });
    const clock = (await (await fetch(`${url}/_sim/clock`)).json()) as { timeScale: number };
    assert.equal(clock.timeScale, 10);
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
});
