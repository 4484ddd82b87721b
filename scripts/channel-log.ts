/**
 * What to check in the channel log after a high-volume period (the guide): throttles and
 * access-denied calls by operation and scope, each with what it means. The two look alike in a
 * log but need different fixes — 429 is a rate problem, AccessDenied an auth problem.
 *
 *   tsx scripts/channel-log.ts [--since 24h] [--connection <id>] [--json]
 */
import { and, count, eq, gte, max, min, or, sql, sum } from 'drizzle-orm';
import { parseDuration } from '../config';
import { schema } from '../db/client';
import { isScope, scopeDisplayName, symptomForScope } from '../domain/scopes';
import { exitWithClearError } from './lib/cli-errors';
import { connectionArg, parseCliArgs, table, UsageError, wantsHelp } from './lib/connection-cli';
import { openOperatorSession } from './lib/operator-session';

export const usage = `Usage: npm run conduit -- channel-log [--since 24h] [--connection <id>] [--json]

Throttled (429) and access-denied SP-API calls from the channel log, by operation and scope, with
what each means and what fixes it.

Options:
  --since <duration>   how far back: 30m, 6h, 24h, 7d                              [24h]
  --connection <id>    only this connection (default: all)
  --json               machine-readable output
  --help
`;

/** The guide's meaning of each failure kind, shown next to its rows. */
export const CHANNEL_LOG_MEANING = {
  THROTTLED: 'rate problem: stagger feeds/reduce polling; Conduit waits for tokens',
  ACCESS_DENIED: 'auth problem: re-authorise, see symptom for scope',
} as const;

export interface ChannelLogGroup {
  kind: 'THROTTLED' | 'ACCESS_DENIED';
  connectionId: string;
  operation: string;
  scope: string;
  calls: number;
  first: string;
  last: string;
  /** Total time spent waiting for a rate-limiter token on these calls (ms). */
  waitedMs: number;
  meaning: string;
  /** For access denied: what the seller sees while this scope is missing. */
  symptom?: string;
}

export interface ChannelLogSummary {
  since: string;
  connectionId: string | null;
  totalCalls: number;
  throttled: number;
  accessDenied: number;
  groups: ChannelLogGroup[];
}

/** Parses --since: a duration such as 30m, 24h or 7d. */
export function parseSince(text: string, now: Date): Date {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch {
    throw new UsageError(`--since "${text}" is not a duration: use e.g. --since 30m, --since 24h or --since 7d`);
  }
  if (ms <= 0) throw new UsageError(`--since "${text}" must be longer than 0, e.g. --since 24h`);
  return new Date(now.getTime() - ms);
}

export async function readChannelLog(db: import('../db/client').Db, opts: { since: Date; connectionId?: string }): Promise<ChannelLogSummary> {
  const t = schema.channelLog;
  const window = and(gte(t.at, opts.since), opts.connectionId ? eq(t.connectionId, opts.connectionId) : undefined);
  const throttled = or(eq(t.httpStatus, 429), eq(t.errorType, 'Throttled'));
  const denied = eq(t.errorType, 'AccessDenied');
  const kind = sql<'THROTTLED' | 'ACCESS_DENIED'>`case when ${t.errorType} = 'AccessDenied' then 'ACCESS_DENIED' else 'THROTTLED' end`;
  const [totals] = await db
    .select({
      calls: count(),
      throttled: sql<number>`count(*) filter (where ${throttled})`.mapWith(Number),
      denied: sql<number>`count(*) filter (where ${denied})`.mapWith(Number),
    })
    .from(t)
    .where(window);
  const rows = await db
    .select({
      kind,
      connectionId: t.connectionId,
      operation: t.operation,
      scope: t.scope,
      calls: count(),
      first: min(t.at),
      last: max(t.at),
      waitedMs: sum(t.waitedMs).mapWith(Number),
    })
    .from(t)
    .where(and(window, or(throttled, denied)))
    .groupBy(kind, t.connectionId, t.operation, t.scope)
    .orderBy(kind, sql`count(*) desc`);
  return {
    since: opts.since.toISOString(),
    connectionId: opts.connectionId ?? null,
    totalCalls: totals?.calls ?? 0,
    throttled: totals?.throttled ?? 0,
    accessDenied: totals?.denied ?? 0,
    groups: rows.map((r) => ({
      kind: r.kind,
      connectionId: r.connectionId,
      operation: r.operation,
      scope: r.scope,
      calls: r.calls,
      first: r.first?.toISOString() ?? '',
      last: r.last?.toISOString() ?? '',
      waitedMs: r.waitedMs ?? 0,
      meaning: CHANNEL_LOG_MEANING[r.kind],
      ...(r.kind === 'ACCESS_DENIED' && isScope(r.scope) ? { symptom: symptomForScope(r.scope) } : {}),
    })),
  };
}

const scopeName = (s: string) => (isScope(s) ? scopeDisplayName(s) : s);

export function formatChannelLog(s: ChannelLogSummary): string {
  const lines = [`Channel log since ${s.since}${s.connectionId ? ` for ${s.connectionId}` : ''}: ${s.totalCalls} SP-API call(s), ${s.throttled} throttled, ${s.accessDenied} access denied`];
  const throttled = s.groups.filter((g) => g.kind === 'THROTTLED');
  const denied = s.groups.filter((g) => g.kind === 'ACCESS_DENIED');
  lines.push('', `Throttled (429 QuotaExceeded) — ${CHANNEL_LOG_MEANING.THROTTLED}`);
  lines.push(
    throttled.length === 0
      ? '  none'
      : table(
          ['connection', 'operation', 'scope', 'calls', 'waited for tokens', 'last'],
          throttled.map((g) => [g.connectionId, g.operation, scopeName(g.scope), String(g.calls), `${(g.waitedMs / 1000).toFixed(1)} s`, g.last]),
        ).replace(/^/gm, '  '),
  );
  lines.push('', `Access denied (403 Unauthorized) — ${CHANNEL_LOG_MEANING.ACCESS_DENIED}`);
  lines.push(
    denied.length === 0
      ? '  none'
      : table(
          ['connection', 'operation', 'scope', 'calls', 'last', 'symptom'],
          denied.map((g) => [g.connectionId, g.operation, scopeName(g.scope), String(g.calls), g.last, g.symptom ?? '']),
        ).replace(/^/gm, '  '),
  );
  for (const c of [...new Set(denied.map((g) => g.connectionId))]) {
    lines.push(`  Fix ${c}: npm run conduit -- reauth url --connection ${c} (re-authorise the same connection; do not create a new one)`);
  }
  if (throttled.length > 0) lines.push('', 'Persistent throttling: move bulk feeds off-peak (npm run conduit -- listings schedule --window 22-06) or lengthen ORDER_POLL_INTERVAL / FBA_SYNC_INTERVAL.');
  return lines.join('\n');
}

/** `channel-log`: always 0 when read (it reports; `status` and `checklist` are the checks). */
export async function run(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    console.log(usage);
    return 0;
  }
  const { values } = parseCliArgs(argv, { since: { type: 'string', default: '24h' }, connection: { type: 'string' }, json: { type: 'boolean', default: false } });
  if (values.connection !== undefined) connectionArg(values.connection);
  const since = parseSince(values.since, new Date());
  const session = await openOperatorSession();
  try {
    const summary = await readChannelLog(session.db, { since, ...(values.connection ? { connectionId: values.connection } : {}) });
    console.log(values.json ? JSON.stringify(summary, null, 2) : formatChannelLog(summary));
    return 0;
  } finally {
    await session.close();
  }
}

if (require.main === module) {
  run(process.argv.slice(2)).then((code) => process.exit(code), exitWithClearError);
}
