/**
 * The operator's first look: every connection (API, status, blocked scopes), orders by state per
 * connection, and what needs attention — orders from Postgres with their reason, and any other
 * workflow Temporal has flagged (`NeedsAttention = true`: feeds, returns, migrations, connections).
 *
 *   tsx scripts/status.ts [--connection <id>] [--json]
 */
import { and, asc, count, eq, isNotNull } from 'drizzle-orm';
import { schema, type Db } from '../db/client';
import { scopeDisplayName, isScope } from '../domain/scopes';
import { ConnectionKey, NeedsAttentionKey } from '../workflows/contracts/search-attributes';
import { clearMessage, EXIT_UNAVAILABLE, exitWithClearError } from './lib/cli-errors';
import { parseCliArgs, table, UsageError, wantsHelp } from './lib/connection-cli';
import { openOperatorSession, type OperatorSession } from './lib/operator-session';

export const usage = `Usage: npm run conduit -- status [options]

Connections, orders by state, and everything that needs attention.

Options:
  --connection <id>   only this connection
  --limit <n>         needs-attention orders to list                          [20]
  --json              machine-readable output
  --help
`;

export interface ConduitStatus {
  connections: Array<{ id: string; sellerId: string; apiKind: string; status: string; blockedScopes: string[]; orderCursor: string | null }>;
  ordersByState: Array<{ connectionId: string; state: string; orders: number }>;
  needsAttention: {
    orders: Array<{ connectionId: string; amazonOrderId: string; marketplaceId: string; state: string; reason: string }>;
    ordersTotal: number;
    /** Non-order workflows with NeedsAttention = true; null when Temporal could not be asked. */
    workflows: Array<{ workflowId: string; type: string; connectionId: string | null }> | null;
    temporalError?: string;
  };
}

/** Reads the status from Postgres and Temporal visibility (the latter is optional: its error is reported). */
export async function readStatus(session: OperatorSession, opts: { connectionId?: string; limit: number }): Promise<ConduitStatus> {
  const db: Db = session.db;
  const byConnection = opts.connectionId ? eq(schema.connections.id, opts.connectionId) : undefined;
  const connections = await db.select().from(schema.connections).where(byConnection).orderBy(asc(schema.connections.id));
  if (opts.connectionId && connections.length === 0) {
    const known = (await db.select({ id: schema.connections.id }).from(schema.connections)).map((r) => r.id);
    throw new UsageError(`--connection "${opts.connectionId}": no such connection. Known: ${known.join(', ') || '(none)'}`);
  }
  const orderFilter = opts.connectionId ? eq(schema.orders.connectionId, opts.connectionId) : undefined;
  const ordersByState = await db
    .select({ connectionId: schema.orders.connectionId, state: schema.orders.state, orders: count() })
    .from(schema.orders)
    .where(orderFilter)
    .groupBy(schema.orders.connectionId, schema.orders.state)
    .orderBy(asc(schema.orders.connectionId), asc(schema.orders.state));
  const attentionFilter = and(isNotNull(schema.orders.needsAttention), orderFilter);
  const [total] = await db.select({ n: count() }).from(schema.orders).where(attentionFilter);
  const attentionRows = await db
    .select({
      connectionId: schema.orders.connectionId,
      amazonOrderId: schema.orders.amazonOrderId,
      marketplaceId: schema.orders.marketplaceId,
      state: schema.orders.state,
      reason: schema.orders.needsAttention,
    })
    .from(schema.orders)
    .where(attentionFilter)
    .orderBy(asc(schema.orders.updatedAt))
    .limit(opts.limit);

  const status: ConduitStatus = {
    connections: connections.map((c) => ({
      id: c.id,
      sellerId: c.sellerId,
      apiKind: c.apiKind,
      status: c.status,
      blockedScopes: c.blockedScopes,
      orderCursor: c.orderCursor?.toISOString() ?? null,
    })),
    ordersByState,
    needsAttention: { orders: attentionRows.map((r) => ({ ...r, reason: r.reason ?? '' })), ordersTotal: total?.n ?? 0, workflows: null },
  };
  try {
    const client = await session.client();
    const query = `${NeedsAttentionKey.name} = true${opts.connectionId ? ` AND ${ConnectionKey.name} = "${opts.connectionId}"` : ''} AND ExecutionStatus = "Running"`;
    const workflows: NonNullable<ConduitStatus['needsAttention']['workflows']> = [];
    for await (const w of client.workflow.list({ query, pageSize: 100 })) {
      if (w.workflowId.startsWith('order:')) continue; // listed above from Postgres, with the reason
      workflows.push({ workflowId: w.workflowId, type: w.type, connectionId: w.typedSearchAttributes.get(ConnectionKey) ?? null });
      if (workflows.length >= 100) break;
    }
    status.needsAttention.workflows = workflows;
  } catch (err) {
    status.needsAttention.temporalError = clearMessage(err);
  }
  return status;
}

const scopes = (list: string[]) => list.map((s) => (isScope(s) ? scopeDisplayName(s) : s)).join(', ');

/** The status as an operator reads it. */
export function formatStatus(s: ConduitStatus): string {
  const lines: string[] = ['Connections'];
  lines.push(
    s.connections.length === 0
      ? '  (none yet: npm run conduit -- connection connect --help)'
      : table(
          ['connection', 'seller', 'API', 'status', 'blocked scopes', 'order cursor'],
          s.connections.map((c) => [c.id, c.sellerId, c.apiKind, c.status, c.blockedScopes.length ? scopes(c.blockedScopes) : '-', c.orderCursor ?? 'never polled']),
        ).replace(/^/gm, '  '),
  );
  lines.push('', 'Orders by state');
  lines.push(
    s.ordersByState.length === 0
      ? '  (no orders yet)'
      : table(['connection', 'state', 'orders'], s.ordersByState.map((r) => [r.connectionId, r.state, String(r.orders)])).replace(/^/gm, '  '),
  );
  const a = s.needsAttention;
  lines.push('', `Needs attention: ${a.ordersTotal} order(s)${a.workflows ? `, ${a.workflows.length} other workflow(s)` : ''}`);
  for (const o of a.orders) lines.push(`  order ${o.amazonOrderId} (${o.connectionId}, ${o.state}): ${o.reason}`);
  if (a.ordersTotal > a.orders.length) lines.push(`  … and ${a.ordersTotal - a.orders.length} more (--limit, or Web UI: NeedsAttention = true)`);
  for (const w of a.workflows ?? []) lines.push(`  ${w.type} ${w.workflowId}${w.connectionId ? ` (${w.connectionId})` : ''}`);
  if (a.ordersTotal > 0) lines.push('  Details: npm run conduit -- order status --order <id>; after fixing the cause: npm run conduit -- order retry --order <id>');
  if (a.temporalError) lines.push(`  (workflows not listed: ${a.temporalError})`);
  return lines.join('\n');
}

/** `status`: 0 when everything could be read, 3 when Temporal could not be asked. */
export async function run(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    console.log(usage);
    return 0;
  }
  const { values } = parseCliArgs(argv, {
    connection: { type: 'string' },
    limit: { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
  });
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit "${values.limit}" must be a whole number of at least 1, e.g. --limit 50`);
  const session = await openOperatorSession();
  try {
    const status = await readStatus(session, { ...(values.connection ? { connectionId: values.connection } : {}), limit });
    console.log(values.json ? JSON.stringify(status, null, 2) : formatStatus(status));
    return status.needsAttention.temporalError ? EXIT_UNAVAILABLE : 0;
  } finally {
    await session.close();
  }
}

if (require.main === module) {
  run(process.argv.slice(2)).then((code) => process.exit(code), exitWithClearError);
}
