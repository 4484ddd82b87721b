/**
 * Sends one package's despatch for an FBM order (what the warehouse does when a parcel leaves).
 * The order workflow checks it against the order at once — an unknown carrier, an empty tracking
 * number or a line not on the order is refused with the reason and nothing changes — then
 * confirms it to Amazon exactly once. Re-running with the same tracking number is a no-op.
 *
 *   tsx scripts/despatch.ts --order 202-1234567-1234567 --carrier "Royal Mail" --service "Tracked 24" \
 *     --tracking AB123456789GB --ship-date 2026-11-27T10:00:00Z --line 12345678901234:1 [--connection <id>]
 */
import { parseArgs } from 'node:util';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { parseInstant } from '../domain/time';
import { despatchUpdate, orderStatusQuery, type DespatchRequest } from '../workflows/contracts/orders';
import { openOperatorSession, resolveConnectionId } from './lib/operator-session';
import { checkOrderFlags, exitForCli, orderWorkflowIdFor, UsageError } from './order-status';

export const usage = `Usage: tsx scripts/despatch.ts --order <id> --carrier <code> --service <name> --tracking <number> --ship-date <ISO> --line <orderItemId>:<qty> [...]

Options:
  --order <id>            Amazon order id (3-7-7 digits)                                   required
  --carrier <code>        carrier, e.g. "Royal Mail", DPD, Evri, Other                      required
  --carrier-name <name>   the carrier's name when --carrier is Other
  --service <name>        the carrier's service, e.g. "Tracked 24"                          required
  --tracking <number>     tracking number on the label                                     required
  --ship-date <ISO|now>   when the parcel left, e.g. 2026-11-27T10:00:00Z                  required
  --line <itemId>:<qty>   an order item in this package; repeat for each item               required
  --connection <id>       the seller connection (default: the only one)
  --marketplace <id>      marketplace id, if the order is not in Conduit's database yet
  --by <name>             who sends it (shown in the order's history; default: operator)
  --no-wait               do not wait for Amazon's confirmation
  --help
`;

/** Builds the despatch from the command line, naming the flag and the fix for each mistake. */
export function despatchFromFlags(values: Record<string, string | string[] | boolean | undefined>, now: Date): DespatchRequest {
  const text = (flag: string, example: string): string => {
    const v = values[flag];
    if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${flag} is required: e.g. --${flag} ${example}`);
    return v;
  };
  const shipDateText = text('ship-date', '2026-11-27T10:00:00Z');
  const shipDate = shipDateText === 'now' ? now.toISOString() : shipDateText;
  if (parseInstant(shipDate) === null) throw new UsageError(`--ship-date "${shipDateText}" is not an ISO date-time with a zone: use e.g. 2026-11-27T10:00:00Z (or "now")`);
  const lineFlags = (values.line as string[] | undefined) ?? [];
  if (lineFlags.length === 0) throw new UsageError('--line is required: pass each order item in the package as --line <orderItemId>:<quantity>, e.g. --line 12345678901234:1');
  const lines = lineFlags.map((raw) => {
    const m = /^([^:\s]+):(\d+)$/.exec(raw.trim());
    if (!m || Number(m[2]) < 1) throw new UsageError(`--line "${raw}" must be <orderItemId>:<quantity> with a quantity of at least 1, e.g. --line 12345678901234:2`);
    return { orderItemId: m[1]!, quantity: Number(m[2]) };
  });
  return {
    carrierCode: text('carrier', '"Royal Mail"'),
    ...(typeof values['carrier-name'] === 'string' ? { carrierName: values['carrier-name'] } : {}),
    shippingMethod: text('service', '"Tracked 24"'),
    trackingNumber: text('tracking', 'AB123456789GB'),
    shipDate,
    lines,
    by: typeof values.by === 'string' ? values.by : 'operator',
  };
}

/** `despatch`: sends one package; 0 accepted, 1 refused by the order or Amazon, UsageError for bad flags. */
export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        order: { type: 'string' },
        carrier: { type: 'string' },
        'carrier-name': { type: 'string' },
        service: { type: 'string' },
        tracking: { type: 'string' },
        'ship-date': { type: 'string' },
        line: { type: 'string', multiple: true },
        connection: { type: 'string' },
        marketplace: { type: 'string' },
        by: { type: 'string' },
        'no-wait': { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const amazonOrderId = checkOrderFlags(values.order, values.marketplace);
  const despatch = despatchFromFlags(values, new Date());
  const session = await openOperatorSession();
  try {
    const connectionId = await resolveConnectionId(session.db, values.connection);
    const workflowId = await orderWorkflowIdFor(session.db, connectionId, amazonOrderId, values.marketplace);
    const handle = (await session.client()).workflow.getHandle(workflowId);
    let result;
    try {
      // The update id makes a re-run with the same tracking number a no-op on the server too.
      result = await handle.executeUpdate(despatchUpdate, { args: [despatch], updateId: `despatch:${despatch.trackingNumber.trim()}` });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new Error(`No order workflow ${workflowId}: the order has not been downloaded yet.`);
      if (err instanceof WorkflowUpdateFailedError) throw new UsageError(`the despatch was refused before reaching the order: ${(err.cause as Error | undefined)?.message ?? err.message}`);
      throw err;
    }
    if (!result.accepted) {
      console.error(`Despatch refused for ${amazonOrderId}; nothing was changed:`);
      for (const e of result.errors) console.error(`  - ${e.field}: ${e.message}`);
      return 1;
    }
    console.log(`Package ${result.packageReferenceId} of ${amazonOrderId} accepted${result.duplicate ? ' (already sent earlier: nothing new)' : ''}.`);
    if (values['no-wait']) return 0;
    for (let i = 0; i < 60; i++) {
      const status = await handle.query(orderStatusQuery);
      const pkg = status.packages.find((p) => p.packageReferenceId === result.packageReferenceId);
      if (pkg?.status === 'CONFIRMED') {
        console.log(`Amazon accepted the shipment confirmation (${pkg.trackingNumber}). Conduit now checks that Amazon shows the order SHIPPED.`);
        return 0;
      }
      if (pkg?.status === 'REJECTED' || pkg?.status === 'NOT_CONFIRMED') {
        console.error(`Amazon did not take package ${pkg.packageReferenceId}: ${status.attention.map((a) => a.message).join(' ')}`);
        return 1;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    console.log(`Not confirmed yet (Amazon may be throttling); follow it with: npm run conduit -- order status --order ${amazonOrderId}`);
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
