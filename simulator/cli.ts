/**
 * Standalone simulated Amazon: `npx tsx simulator/cli.ts --port 8700 --time-scale 60`.
 * Prints one line with the URL once listening; Ctrl-C stops it (state is in memory only).
 */
import { startSimulator, type SimulatorOptions } from './server';

const HELP = `Usage: npx tsx simulator/cli.ts [options]

A local, in-memory Amazon Selling Partner API (LWA, Orders, Listings, FBA Inventory, Feeds,
Reports, Tokens, Sellers, Notifications) on 127.0.0.1. Point amazon-sp-api at it with
spapi/simulator-agent.ts; seed and steer it through the control API under /_sim/
(see docs/simulator.md). Durations are in simulated seconds.

Options:
  --port <n>                   TCP port on 127.0.0.1; 0 picks a free one (default 8700)
  --time-scale <n>             simulated time runs n× faster than real time (default 1)
  --seed <n>                   seed for every random choice (default 1)
  --notify-url <url>           POST ORDER_CHANGE notifications here as JSON
  --token-ttl <s>              LWA access-token lifetime (default 3600)
  --fba-lag <s>                FBA inventory reporting lag (default 18000 = 5 h)
  --feed-collision <min-max>   a feed hit by a concurrent quantity change finishes min–max s
                               after it was created (default 1800-5400 = 30–90 min)
  --feed-queue <min-max>       ordinary time a feed waits IN_QUEUE (default 30-120)
  --feed-run <min-max>         ordinary time a feed spends IN_PROGRESS (default 60-240)
  --report-time <min-max>      report IN_QUEUE → DONE (default 60-300)
  --pending <s>                new orders stay PENDING this long (default 120)
  --fba-ship <s>               Amazon ships FBA orders this long after UNSHIPPED (default 7200)
  --listing-apply <s>          accepted listing changes become visible after (default 5)
  --mws-delay <s>              order delay for sellers marked as legacy MWS (default 10800)
  --start-time <iso>           simulated start instant (default: now)
  --no-rate-limits             lift every usage plan (engine-cost benchmarks)
  --record-exchanges           keep the last 5000 request/response pairs in memory
  --models-dir <dir>           Amazon's sp-api-models checkout (default ../shared/sp-api-models)
  -h, --help                   show this help and exit
`;

class UsageError extends Error {}

function number(flag: string, value: string | undefined, min = 0): number {
  if (value === undefined) throw new UsageError(`${flag} needs a value`);
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`${flag} must be a number >= ${min}, got "${value}"`);
  return n;
}

function range(flag: string, value: string | undefined): { min: number; max: number } {
  const m = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(value ?? '');
  if (!m) throw new UsageError(`${flag} must look like 1800-5400 (min-max seconds), got "${value ?? ''}"`);
  const min = Number(m[1]);
  const max = Number(m[2]);
  if (max < min) throw new UsageError(`${flag}: max ${max} is below min ${min}`);
  return { min, max };
}

export function parseArgs(argv: string[]): SimulatorOptions | 'help' {
  const opts: SimulatorOptions = { port: 8700 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '-h':
      case '--help':
        return 'help';
      case '--port': {
        const port = number(flag, value());
        if (!Number.isInteger(port) || port > 65535) throw new UsageError(`--port must be an integer 0–65535`);
        opts.port = port;
        break;
      }
      case '--time-scale': {
        const v = value();
        const scale = Number(v);
        if (v === undefined || !Number.isFinite(scale) || scale <= 0) throw new UsageError(`--time-scale must be a number > 0, got "${v ?? ''}"`);
        opts.timeScale = scale;
        break;
      }
      case '--seed':
        opts.seed = Math.trunc(number(flag, value(), -Number.MAX_SAFE_INTEGER));
        break;
      case '--notify-url': {
        const url = value();
        if (!url || !/^https?:\/\//.test(url)) throw new UsageError(`--notify-url must be an http(s) URL, got "${url ?? ''}"`);
        opts.notificationDestinationUrl = url;
        break;
      }
      case '--token-ttl':
        opts.accessTokenTtlSeconds = number(flag, value(), 1);
        break;
      case '--fba-lag':
        opts.fbaLagSeconds = number(flag, value());
        break;
      case '--feed-collision':
        opts.feedProcessingSeconds = range(flag, value());
        break;
      case '--feed-queue':
        opts.feedQueueSeconds = range(flag, value());
        break;
      case '--feed-run':
        opts.feedRunSeconds = range(flag, value());
        break;
      case '--report-time':
        opts.reportProcessingSeconds = range(flag, value());
        break;
      case '--pending':
        opts.pendingSeconds = number(flag, value());
        break;
      case '--fba-ship':
        opts.fbaShipSeconds = number(flag, value());
        break;
      case '--listing-apply':
        opts.listingApplySeconds = number(flag, value());
        break;
      case '--mws-delay':
        opts.mwsDelaySeconds = number(flag, value());
        break;
      case '--start-time': {
        const v = value();
        if (!v || Number.isNaN(Date.parse(v))) throw new UsageError(`--start-time must be an ISO date-time, got "${v ?? ''}"`);
        opts.startTime = v;
        break;
      }
      case '--no-rate-limits':
        opts.rateLimits = false;
        break;
      case '--record-exchanges':
        opts.recordExchanges = true;
        break;
      case '--models-dir': {
        const v = value();
        if (!v) throw new UsageError('--models-dir needs a directory');
        opts.modelsDir = v;
        break;
      }
      default:
        throw new UsageError(`unknown option ${arg} (see --help)`);
    }
  }
  return opts;
}

async function main(): Promise<void> {
  let opts: SimulatorOptions | 'help';
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`simulator: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (opts === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const handle = await startSimulator(opts);
  process.stdout.write(`Amazon SP-API simulator listening on ${handle.url} (time scale ${opts.timeScale ?? 1}, seed ${opts.seed ?? 1})\n`);
  const stop = (): void => {
    handle.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`simulator: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
