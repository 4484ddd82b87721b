/**
 * Sends `retry` to an order that is waiting on the operator: after fixing a SKU mismatch in the
 * catalogue, adding stock for a shortfall, or to re-check "Shipped" on Amazon at once.
 *
 *   tsx scripts/order-retry.ts --order 202-1234567-1234567 [--by <name>] [--note <text>] [--connection <id>]
 */
import { parseArgs } from 'node:util';
import { WorkflowNotFoundError } from '@temporalio/client';
import { orderStatusQuery, retrySignal } from '../workflows/contracts/orders';
import { UsageError, wantsHelp } from './lib/connection-cli';
import { openOperatorSession, resolveConnectionId } from './lib/operator-session';
import { checkOrderFlags, exitForCli, orderWorkflowIdFor } from './order-status';

export const usage = `Usage: npm run conduit -- order retry --order <id> [options]

Tells an order waiting on the operator (SKU mismatch, stock shortfall, not shown Shipped) to try the
blocked step again now. Fix the cause first: the order re-checks and, if it is still wrong, says so.

Options:
  --order <id>          Amazon order id (3-7-7 digits)                        required
  --connection <id>     the seller connection (default: the only one)
  --marketplace <id>    marketplace id, if the order is not in Conduit's database yet
  --by <name>           who sends it (shown in the order's history)        [operator]
  --note <text>         what was fixed
  --json                print the order's status afterwards as JSON
  --help
`;

/** `order retry`: 0 when the order no longer needs attention after the retry, 1 when it still does. */
export async function run(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    console.log(usage);
    return 0;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { order: { type: 'string' }, connection: { type: 'string' }, marketplace: { type: 'string' }, by: { type: 'string' }, note: { type: 'string' }, json: { type: 'boolean' } },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const amazonOrderId = checkOrderFlags(values.order, values.marketplace);
  const session = await openOperatorSession();
  try {
    const connectionId = await resolveConnectionId(session.db, values.connection);
    const workflowId = await orderWorkflowIdFor(session.db, connectionId, amazonOrderId, values.marketplace);
    const handle = (await session.client()).workflow.getHandle(workflowId);
    const before = await handle.query(orderStatusQuery).catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) throw new Error(`No running order workflow ${workflowId}: the order has finished (nothing to retry) or has not been downloaded yet.`);
      throw err;
    });
    await handle.signal(retrySignal, { by: values.by ?? 'operator', ...(values.note ? { note: values.note } : {}) }).catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) throw new Error(`Order ${amazonOrderId} has finished (${before.state}): there is nothing to retry.`);
      throw err;
    });
    // Give the order a moment to re-check, then report what it says now.
    let after = before;
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      after = await handle.query(orderStatusQuery);
      if (after.state !== before.state || after.history.length !== before.history.length) break;
    }
    if (values.json) console.log(JSON.stringify(after, null, 2));
    else {
      console.log(`Sent retry to ${workflowId} (${before.state} → ${after.state}).`);
      for (const a of after.attention) console.log(`  still needs attention: [${a.kind}] ${a.message}`);
      if (!after.needsAttention) console.log('  The order no longer needs attention.');
    }
    return after.needsAttention ? 1 : 0;
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
