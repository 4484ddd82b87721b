/**
 * What Conduit knows about one Amazon order: its lifecycle state, why it needs attention, its
 * lines and allocation, packages and confirmations, and recent events.
 *
 *   tsx scripts/order-status.ts --order 202-1234567-1234567 [--connection <id>] [--marketplace <id>] [--json]
 */
import { parseArgs } from 'node:util';
import { WorkflowNotFoundError } from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import { schema, type Db } from '../db/client';
import { isAmazonOrderId, isMarketplaceId } from '../domain/routing';
import { orderStatusQuery, orderWorkflowId, type OrderStatus } from '../workflows/contracts/orders';
import { exitWithClearError } from './lib/cli-errors';
import { UsageError } from './lib/connection-cli';
import { openOperatorSession, resolveConnectionId } from './lib/operator-session';

export const usage = `Usage: tsx scripts/order-status.ts --order <amazon order id> [options]

Options:
  --order <id>          Amazon order id, 3-7-7 digits (e.g. 202-1234567-1234567)   required
  --connection <id>     the seller connection (default: the only one)
  --marketplace <id>    marketplace id, if the order is not in Conduit's database yet (e.g. A1F83G8C2ARO7P)
  --json                print the status as JSON
  --help
`;

/** A bad command line: printed with the usage, exit code 2 (one class for every operator script). */
export { UsageError };

/** Exits 2 with the message and usage for a UsageError; otherwise defers to the shared clear-error exit. */
export function exitForCli(err: unknown, text: string): never {
  if (err instanceof UsageError) {
    console.error(`error: ${err.message}\n\n${text}`);
    process.exit(2);
  }
  return exitWithClearError(err);
}

/** Checks --order / --marketplace formats, naming the flag and the fix. */
export function checkOrderFlags(order: string | undefined, marketplace: string | undefined): string {
  if (!order) throw new UsageError('--order is required: pass the Amazon order id, e.g. --order 202-1234567-1234567');
  if (!isAmazonOrderId(order)) throw new UsageError(`--order "${order}" is not an Amazon order id: use the 3-7-7 digit form, e.g. 202-1234567-1234567`);
  if (marketplace !== undefined && !isMarketplaceId(marketplace)) throw new UsageError(`--marketplace "${marketplace}" is not a marketplace id: e.g. A1F83G8C2ARO7P for Amazon.co.uk`);
  return order;
}

/** The order workflow's ID: the marketplace comes from --marketplace or from the orders table. */
export async function orderWorkflowIdFor(db: Db, connectionId: string, amazonOrderId: string, marketplace: string | undefined): Promise<string> {
  if (marketplace) return orderWorkflowId(marketplace, amazonOrderId);
  const rows = await db
    .select({ marketplaceId: schema.orders.marketplaceId })
    .from(schema.orders)
    .where(and(eq(schema.orders.connectionId, connectionId), eq(schema.orders.amazonOrderId, amazonOrderId)));
  if (rows.length === 0) {
    throw new UsageError(`order ${amazonOrderId} is not in Conduit's database for connection ${connectionId}: check the id, wait for the next download, or pass --marketplace`);
  }
  return orderWorkflowId(rows[0]!.marketplaceId, amazonOrderId);
}

/** The operator's view of an order, as printed by this script. */
export function formatOrderStatus(s: OrderStatus): string {
  const out: string[] = [];
  out.push(`Order ${s.amazonOrderId} (${s.route}) on ${s.connectionId} — ${s.state}; Amazon: ${s.amazonStatus ?? 'unknown'}`);
  out.push(`Workflow ${s.workflowId}`);
  if (s.latestShipDate) out.push(`Ship by ${s.latestShipDate}`);
  out.push(s.needsAttention ? 'NEEDS ATTENTION:' : 'Needs attention: no');
  for (const a of s.attention) out.push(`  - [${a.kind} since ${a.since}] ${a.message}`);
  out.push('Lines:');
  for (const l of s.lines) out.push(`  ${l.orderItemId}  ${JSON.stringify(l.sku)}  ordered ${l.quantityOrdered}, allocated ${l.allocated}, shipped ${l.quantityShipped}`);
  if (s.packages.length > 0) {
    out.push('Packages:');
    for (const p of s.packages) {
      out.push(`  #${p.packageReferenceId} ${p.carrierCode} ${p.shippingMethod} ${p.trackingNumber} shipped ${p.shipDate}: ${p.status}${p.confirmedAt ? ` (confirmed ${p.confirmedAt}, ${p.confirmedVia})` : ''}`);
    }
  }
  if (s.lastDespatchRejection) {
    out.push(`Last despatch rejected at ${s.lastDespatchRejection.at}:`);
    for (const e of s.lastDespatchRejection.errors) out.push(`  - ${e.field}: ${e.message}`);
  }
  if (s.verifiedShippedAt) out.push(`Amazon shows it SHIPPED (verified ${s.verifiedShippedAt})`);
  out.push('Recent events:');
  for (const h of s.history.slice(-10)) out.push(`  ${h.at}  ${h.event}`);
  return out.join('\n');
}

/** `order status`: prints the order's status; 0 when it could be read. */
export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { order: { type: 'string' }, connection: { type: 'string' }, marketplace: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' } },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const amazonOrderId = checkOrderFlags(values.order, values.marketplace);
  const session = await openOperatorSession();
  try {
    const connectionId = await resolveConnectionId(session.db, values.connection);
    const workflowId = await orderWorkflowIdFor(session.db, connectionId, amazonOrderId, values.marketplace);
    const client = await session.client();
    let status: OrderStatus;
    try {
      status = await client.workflow.getHandle(workflowId).query(orderStatusQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new Error(`No order workflow ${workflowId}: the order has not been downloaded yet (or the history was deleted after retention).`);
      throw err;
    }
    console.log(values.json ? JSON.stringify(status, null, 2) : formatOrderStatus(status));
    return 0;
  } finally {
    await session.close();
  }
}

if (require.main === module) {
  run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => exitForCli(err, usage),
  );
}
