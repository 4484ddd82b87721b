/**
 * `npm run conduit -- <command>`: the one way in for every operator action. Each command delegates
 * to the script that owns it (scripts/<name>.ts, also runnable on its own); this file only routes,
 * prints help and turns failures into exit codes:
 *   0 ok · 1 check failed / refused · 2 bad arguments or configuration · 3 a service is unavailable.
 * Configuration is the worker's (DATABASE_URL, TEMPORAL_ADDRESS, CONDUIT_ENCRYPTION_KEY,
 * TEMPORAL_TASK_QUEUE, …); unset, it talks to the local `npm run demo`.
 */
import { clearMessage, EXIT_USAGE, exitCodeFor } from './lib/cli-errors';
import type { ScriptContext } from './lib/connection-cli';

type Run = (argv: string[]) => Promise<number>;

interface Command {
  /** The words after `conduit`, e.g. `reauth url`. */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Its usage text (printed by --help and after a bad argument). */
  usage(): Promise<string>;
  run(argv: string[]): Promise<number>;
}

// Scripts load on first use (require), so `--help` and a bad argument answer without loading them all.

/** A command implemented by a script that takes (argv, ScriptContext) — the connection-lifecycle scripts. */
function withContext(load: () => { run: (argv: string[], ctx: ScriptContext) => Promise<number>; usage: string }): Pick<Command, 'usage' | 'run'> {
  return {
    usage: async () => load().usage,
    run: async (argv) => (require('./lib/connection-cli') as typeof import('./lib/connection-cli')).runScript(load().run, argv),
  };
}

/** A command implemented by a script that exports run(argv). */
function plain<M extends { run: Run; usage: string }>(load: () => M, pick?: (m: M) => Run): Pick<Command, 'usage' | 'run'> {
  return {
    usage: async () => load().usage,
    run: async (argv) => {
      const m = load();
      return (pick ? pick(m) : m.run)(argv);
    },
  };
}

/** Commands whose first argument is a sub-command handled by the script itself (stock show, listings queue, …). */
function subcommands(load: () => { run: Run; usage: string }, verbs: readonly string[]): Pick<Command, 'usage' | 'run'> & { verbs: readonly string[] } {
  return { ...plain(load), verbs };
}

export const COMMANDS: Array<Command & { verbs?: readonly string[] }> = [
  { name: 'status', summary: 'connections, orders by state, everything that needs attention', ...plain(() => require('./status') as typeof import('./status')) },
  { name: 'order status', summary: "one order: state, why it needs attention, lines, packages, events", ...plain(() => require('./order-status') as typeof import('./order-status')) },
  { name: 'order retry', summary: 'tell an order waiting on you (SKU mismatch, shortfall, not Shipped) to try again', ...plain(() => require('./order-retry') as typeof import('./order-retry')) },
  { name: 'despatch', summary: 'send one package of an FBM order (carrier, tracking, lines); confirmed to Amazon once', ...plain(() => require('./despatch') as typeof import('./despatch')) },
  {
    name: 'stock',
    summary: 'show | adjust | returns | inspect-return: the FBM pool, counts, returns waiting for inspection',
    ...subcommands(() => require('./stock') as typeof import('./stock'), ['show', 'adjust', 'returns', 'inspect-return']),
  },
  { name: 'reconcile', summary: "compare Amazon's listings/FBA figures with the ledger; correct FBM drift; SKU mismatches", ...plain(() => require('./reconcile') as typeof import('./reconcile')) },
  {
    name: 'listings',
    summary: 'queue | run-feed-now | status | schedule: bulk listing changes and their feeds',
    ...subcommands(() => require('./listings') as typeof import('./listings'), ['queue', 'run-feed-now', 'status', 'schedule']),
  },
  { name: 'checklist', summary: "the guide's 8-point pre-launch checklist against the live connection", ...withContext(() => require('./checklist') as typeof import('./checklist')) },
  { name: 'migrate-mws', summary: 'move a legacy MWS connection to SP-API (orders late with no error)', ...withContext(() => require('./migrate-mws') as typeof import('./migrate-mws')) },
  { name: 'reauth url', summary: 'the Seller Central consent URL that re-authorises an existing connection', ...withContext(() => require('./consent-url') as typeof import('./consent-url')) },
  { name: 'reauth complete', summary: "finish the consent with Amazon's state and code; unblocks what was waiting", ...withContext(() => require('./complete-reauth') as typeof import('./complete-reauth')) },
  { name: 'connection status', summary: 'one connection: API, scopes (blocked → symptom), routing, workflow view, schedules', ...plain(() => require('./connection-status') as typeof import('./connection-status')) },
  { name: 'connection connect', summary: 'onboard (or update) a seller connection and start its connection workflow', ...withContext(() => require('./connect') as typeof import('./connect')) },
  {
    name: 'connection reset-routing',
    summary: 'restore the default download rules (FBM Unshipped/Partially shipped, FBA recorded only)',
    ...plain(() => require('./connection-status') as typeof import('./connection-status'), (m) => m.runResetRouting),
  },
  { name: 'schedules', summary: 'list | trigger | pause | unpause a connection schedule (same as Web UI → Schedules)', ...subcommands(() => require('./schedules') as typeof import('./schedules'), ['list', 'trigger', 'pause', 'unpause']) },
  { name: 'channel-log', summary: 'throttles (rate problem) and access denied (auth problem) by operation and scope', ...plain(() => require('./channel-log') as typeof import('./channel-log')) },
];

export const usage = `Usage: npm run conduit -- <command> [options]      (or: node --import tsx scripts/conduit.ts …)

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(26)}${c.summary}`).join('\n')}

Every command takes --help. Read commands take --json. --connection <id> may be left out when
there is only one connection. Exit codes: 0 ok, 1 check failed or refused, 2 bad arguments,
3 Postgres or Temporal unavailable. Settings come from the environment (see README: DATABASE_URL,
TEMPORAL_ADDRESS, CONDUIT_ENCRYPTION_KEY, TEMPORAL_TASK_QUEUE); unset, the local demo's.
Operator guide: docs/operators.md
`;

/** Finds the command named by the leading words of argv; returns it with the remaining arguments. */
export function resolveCommand(argv: readonly string[]): { command: (typeof COMMANDS)[number]; rest: string[] } | null {
  const two = argv.slice(0, 2).join(' ');
  const byTwo = COMMANDS.find((c) => c.name === two);
  if (byTwo) return { command: byTwo, rest: argv.slice(2) };
  const byOne = COMMANDS.find((c) => c.name === argv[0]);
  return byOne ? { command: byOne, rest: argv.slice(1) } : null;
}

function unknownCommand(argv: readonly string[]): string {
  const first = argv[0] ?? '';
  const family = COMMANDS.filter((c) => c.name.startsWith(`${first} `)).map((c) => c.name);
  if (family.length > 0) {
    return argv[1] === undefined
      ? `"${first}" needs a sub-command: ${family.join(', ')}`
      : `unknown command "${first} ${argv[1]}": use ${family.join(', ')}`;
  }
  return `unknown command "${first}": see the list below`;
}

/** Runs the CLI; returns the exit code (never exits the process itself). */
export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    console.log(usage);
    return argv.length === 0 ? EXIT_USAGE : 0;
  }
  const found = resolveCommand(argv);
  if (!found) {
    console.error(`error: ${unknownCommand(argv)}\n\n${usage}`);
    return EXIT_USAGE;
  }
  const { command, rest } = found;
  const helpAsked = rest.includes('--help') || rest.includes('-h');
  if (helpAsked && !(command.verbs && command.verbs.includes(rest[0] ?? ''))) {
    console.log(`npm run conduit -- ${command.name}: ${command.summary}\n\n${await command.usage()}`);
    return 0;
  }
  if (command.verbs && !helpAsked && !command.verbs.includes(rest[0] ?? '')) {
    console.error(
      `error: ${rest[0] === undefined || rest[0].startsWith('-') ? `"${command.name}" needs a sub-command` : `unknown "${command.name}" sub-command "${rest[0]}"`}: use ${command.verbs.join(', ')}\n` +
        `Run: npm run conduit -- ${command.name} --help`,
    );
    return EXIT_USAGE;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    const code = exitCodeFor(err);
    if (code === EXIT_USAGE && err instanceof Error && err.name === 'UsageError') {
      console.error(`error: ${err.message}\nRun: npm run conduit -- ${command.name} --help`);
    } else if (code === EXIT_USAGE && err instanceof Error && String((err as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS')) {
      console.error(`error: ${err.message.split('\n')[0]}\nRun: npm run conduit -- ${command.name} --help`);
    } else {
      console.error(clearMessage(err));
      if (process.env.LOG_LEVEL === 'debug' && err instanceof Error) console.error(err.stack);
    }
    return code;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(clearMessage(err));
      process.exit(exitCodeFor(err));
    },
  );
}
