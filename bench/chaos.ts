/**
 * `npm run chaos`: the peak-day scenario while Conduit's machinery is broken on purpose (worker
 * SIGKILLs, a Temporal restart, a Postgres restart, SP-API 5xx and dropped connections, a revoked
 * scope re-authorised, expired tokens), then every invariant checked against Amazon (the
 * simulator) and the database. Prints what was injected and what each invariant found; writes
 * bench/results/chaos.json; exits 1 if any invariant fails.
 *
 *   npm run chaos -- [--orders 400] [--skus 200] [--time-scale 30] [--duration 240] [--kills 3] [--seed 7] [--quick]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { numberArg, parseCliArgs, UsageError } from '../scripts/lib/connection-cli';
import { formatChaosReport, runChaos } from './lib/chaos-run';

const usage = `Usage: npm run chaos -- [options]

  --orders <n>       orders placed on Amazon during the run                    [400]
  --skus <n>         catalogue size (FBM, FBA and hybrid SKUs)                 [200]
  --time-scale <n>   simulated Amazon runs n× faster than real time           [30]
  --duration <s>     real seconds of chaos (orders arrive, faults injected)   [240]
  --kills <n>        worker processes SIGKILLed during the run                 [3]
  --settle <s>       real seconds allowed to settle afterwards                 [600]
  --seed <n>         simulator seed                                            [7]
  --quick            a small run: 60 orders, 40 SKUs, 90 s, 2 kills
  --out <file>       where the JSON report goes        [bench/results/chaos.json]
`;

async function main(): Promise<number> {
  const { values } = parseCliArgs(process.argv.slice(2), {
    orders: { type: 'string' },
    skus: { type: 'string' },
    'time-scale': { type: 'string' },
    duration: { type: 'string' },
    kills: { type: 'string' },
    settle: { type: 'string' },
    seed: { type: 'string', default: '7' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: path.join('bench', 'results', 'chaos.json') },
    help: { type: 'boolean', default: false },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const num = (flag: string, text: string | undefined, fallback: number, min: number, max: number) => numberArg(flag, text, { min, max, fallback });
  const q = values.quick;
  const opts = {
    orders: num('orders', values.orders, q ? 60 : 400, 1, 100_000),
    skus: num('skus', values.skus, q ? 40 : 200, 8, 50_000),
    timeScale: num('time-scale', values['time-scale'], 30, 1, 1000),
    durationS: num('duration', values.duration, q ? 90 : 240, 20, 36_000),
    workerKills: num('kills', values.kills, q ? 2 : 3, 0, 100),
    settleTimeoutS: num('settle', values.settle, q ? 300 : 600, 10, 36_000),
    seed: num('seed', values.seed, 7, 0, 2 ** 31),
    dir: path.join('.data', 'chaos'),
    log: (line: string) => console.log(`  · ${line}`),
  };
  console.log(`Chaos run on ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const report = await runChaos(opts);
  console.log(`\n${formatChaosReport(report)}`);
  fs.mkdirSync(path.dirname(values.out), { recursive: true });
  fs.writeFileSync(values.out, `${JSON.stringify({ at: new Date().toISOString(), loadAverage: os.loadavg(), ...report }, null, 2)}\n`);
  console.log(`\nwrote ${values.out}`);
  return report.invariants.every((i) => i.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) console.error(`${err.message}\n\n${usage}`);
    else console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
