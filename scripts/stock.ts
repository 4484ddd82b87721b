/**
 * Stock from the warehouse's side of the counter.
 *
 *   tsx scripts/stock.ts show --sku <sku> [--connection <id>] [--json]
 *   tsx scripts/stock.ts adjust --sku <sku> --delta <±n> --reason <text> [--key <k>] [--connection <id>]
 *   tsx scripts/stock.ts returns [--connection <id>]
 *   tsx scripts/stock.ts inspect-return --return <id> --decision restock|dispose [--by <name>] [--connection <id>]
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { WorkflowNotFoundError } from '@temporalio/client';
import { and, desc, eq } from 'drizzle-orm';
import { silentLogger } from '../activities/deps';
import { adjustWarehouseStock, readStockView, type AdjustResult, type StockView } from '../activities/stock';
import { schema } from '../db/client';
import { FBA_LAG_WARNING_MINUTES } from '../domain/stock';
import { describeSkuMismatch, matchSku, showSku } from '../domain/sku';
import { inspectionSignal, returnWorkflowId, type InspectionDecision, type ReturnState } from '../workflows/contracts/stock';
import { exitWithClearError } from './lib/cli-errors';
import { openOperatorSession, resolveConnectionId } from './lib/operator-session';

export const usage = `Usage: tsx scripts/stock.ts <command> [options]

Commands:
  show --sku <sku>                      FBM pool, what Amazon was last sent, Amazon's FBA figure with its age, and the lag-aware estimate
  adjust --sku <sku> --delta <±n> --reason <text> [--key <k>]
                                        record a warehouse count change (ledger ADJUST) and push the new FBM figure to Amazon;
                                        re-running with the same --key changes nothing
  returns                               returns waiting for inspection (and their return ids)
  inspect-return --return <id> --decision restock|dispose [--by <name>]
                                        record the warehouse's inspection; restock puts the units back and pushes them to Amazon

Common options:
  --connection <id>   the seller connection (default: the only one)
  --json              machine-readable output (show, returns)
  --help
`;

function age(minutes: number): string {
  const h = Math.floor(minutes / 60);
  return h > 0 ? `${h} h ${minutes % 60} min` : `${minutes} min`;
}

/** The operator's view of one SKU, as printed by `stock show`. */
export function formatStockView(view: StockView, now: Date): string {
  const lines: string[] = [];
  const f = view.fbm;
  lines.push(`SKU ${showSku(view.sku)} (${view.fulfilment}) on ${view.connectionId}`);
  lines.push('');
  if (view.fulfilment === 'FBA') {
    lines.push('FBM (our warehouse): not offered — this SKU is fulfilled by Amazon only');
  } else {
    lines.push('FBM (our warehouse)');
    lines.push(`  on hand ${f.onHand}, allocated to open FBM orders ${f.allocated}, buffer ${f.buffer}`);
    lines.push(`  offered to Amazon: ${f.available}  (on hand − allocated − buffer; never FBA units)`);
    lines.push(
      f.lastPushedQuantity === null
        ? '  last accepted by Amazon: never pushed by Conduit'
        : `  last accepted by Amazon: ${f.lastPushedQuantity} at ${f.lastPushedAt}${f.lastPushedQuantity === f.available ? '' : '  ← a push is due'}`,
    );
  }
  lines.push('');
  if (!view.fba) {
    lines.push("FBA (Amazon's warehouse): Amazon has reported no FBA stock for this SKU");
  } else {
    const r = view.fba.reported;
    const e = view.fba.estimate;
    lines.push("FBA (Amazon's warehouse, read-only)");
    if (!r.reportedAt || !e) {
      lines.push(`  fulfillable ${r.fulfillable} (returns recorded; no report from Amazon yet)`);
    } else {
      const minutes = Math.max(0, Math.floor((now.getTime() - Date.parse(r.reportedAt)) / 60_000));
      lines.push(`  Amazon's figure: ${r.fulfillable} fulfillable as of ${r.reportedAt} (${age(minutes)} old)${e.lagging ? `  ⚠ older than ${FBA_LAG_WARNING_MINUTES / 60} h: don't restock on it alone` : ''}`);
      lines.push(`  inbound ${r.inbound}, reserved ${r.reserved}, unfulfillable ${r.unfulfillable}; last read from Amazon ${r.syncedAt ?? 'never'}`);
      lines.push(`  estimate now: ${e.estimatedFulfillable} fulfillable (${e.reportedFulfillable} reported − ${e.unitsOrderedSinceReport} FBA units ordered since)`);
    }
  }
  if (view.recentLedger.length > 0) {
    lines.push('');
    lines.push('Recent ledger entries');
    for (const l of view.recentLedger) {
      const delta = [l.onHandDelta ? `on hand ${l.onHandDelta > 0 ? '+' : ''}${l.onHandDelta}` : '', l.allocatedDelta ? `${l.pool === 'FBA' ? 'reserved' : 'allocated'} ${l.allocatedDelta > 0 ? '+' : ''}${l.allocatedDelta}` : '']
        .filter(Boolean)
        .join(', ');
      lines.push(`  ${l.at}  ${l.pool} ${l.kind.padEnd(14)} ${(delta || '±0').padEnd(26)} ${l.reason}`);
    }
  }
  return lines.join('\n');
}

/** What `stock adjust` prints for a result. */
export function formatAdjustResult(sku: string, delta: number, key: string, result: AdjustResult): string {
  if (!result.ok) return `Refused: ${result.message}`;
  const head = result.applied ? `Recorded ${delta > 0 ? '+' : ''}${delta} for ${showSku(sku)}.` : `Already recorded (key ${key}): nothing changed.`;
  return `${head} On hand ${result.onHand}, allocated ${result.allocated}; Amazon will be offered ${result.fbmAvailable} (push requested).\nRetry safely with --key ${key}`;
}

/** `stock show|adjust|returns|inspect-return`; returns the exit code. */
/** `--delta -2` as operators type it: node's parser would take "-2" for a flag, so it is joined to `--delta=-2`. */
function joinNegativeDelta(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--delta' && /^-\d+$/.test(argv[i + 1] ?? '')) out.push(`--delta=${argv[++i]}`);
    else out.push(argv[i]!);
  }
  return out;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: joinNegativeDelta(argv),
    allowPositionals: true,
    options: {
      connection: { type: 'string' },
      sku: { type: 'string' },
      delta: { type: 'string' },
      reason: { type: 'string' },
      key: { type: 'string' },
      return: { type: 'string' },
      decision: { type: 'string' },
      by: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(usage);
    return command || values.help ? 0 : 2;
  }
  if (!['show', 'adjust', 'returns', 'inspect-return'].includes(command)) {
    console.error(`Unknown command "${command}".\n\n${usage}`);
    return 2;
  }
  if ((command === 'show' || command === 'adjust') && values.sku === undefined) {
    console.error(`--sku is required for ${command}`);
    return 2;
  }
  const session = await openOperatorSession();
  try {
    const connectionId = await resolveConnectionId(session.db, values.connection);
    if (command === 'show') {
      const now = new Date();
      const view = await readStockView(session.db, connectionId, values.sku!, now);
      if (!view) {
        const skus = (await session.db.select({ sku: schema.catalogueItems.sku }).from(schema.catalogueItems).where(eq(schema.catalogueItems.connectionId, connectionId))).map((r) => r.sku);
        console.error(describeSkuMismatch(values.sku!, matchSku(values.sku!, skus)).replace('on the Amazon order', 'given'));
        return 1;
      }
      console.log(values.json ? JSON.stringify(view, null, 2) : formatStockView(view, now));
      return 0;
    }
    if (command === 'adjust') {
      if (values.delta === undefined || !/^[+-]?\d+$/.test(values.delta.trim())) {
        console.error(`--delta must be a whole number other than 0, e.g. --delta 5 or --delta -2 (got ${JSON.stringify(values.delta ?? '')})`);
        return 2;
      }
      if (!values.reason?.trim()) {
        console.error('--reason is required: say why the count changed, e.g. --reason "cycle count"');
        return 2;
      }
      const key = values.key ?? randomUUID();
      const delta = Number(values.delta.trim());
      const result = await adjustWarehouseStock(
        { db: session.db, log: silentLogger, workflowClient: await session.client(), taskQueue: session.config.TEMPORAL_TASK_QUEUE, clock: () => new Date() },
        { connectionId, sku: values.sku!, delta, reason: values.reason, key },
      );
      const text = formatAdjustResult(values.sku!, delta, key, result);
      if (result.ok) console.log(text);
      else console.error(text);
      return result.ok ? 0 : 1;
    }
    if (command === 'returns') {
      const rows = await session.db
        .select()
        .from(schema.returns)
        .where(and(eq(schema.returns.connectionId, connectionId), eq(schema.returns.status, 'AWAITING_INSPECTION')))
        .orderBy(desc(schema.returns.returnedAt));
      if (values.json) {
        console.log(JSON.stringify(rows.map((r) => ({ id: r.id, sku: r.sku, quantity: r.quantity, amazonOrderId: r.amazonOrderId, returnedAt: r.returnedAt.toISOString(), needsAttention: r.needsAttention })), null, 2));
        return 0;
      }
      if (rows.length === 0) console.log('No returns are waiting for inspection.');
      for (const r of rows) console.log(`${r.id}  ${r.quantity} × ${showSku(r.sku)}  order ${r.amazonOrderId}  returned ${r.returnedAt.toISOString().slice(0, 10)}${r.needsAttention ? `\n    ⚠ ${r.needsAttention}` : ''}`);
      return 0;
    }
    // inspect-return
    const returnId = values.return;
    const decision = values.decision?.toUpperCase();
    if (!returnId || (decision !== 'RESTOCK' && decision !== 'DISPOSE')) {
      console.error('inspect-return needs --return <id> and --decision restock|dispose');
      return 2;
    }
    const [row] = await session.db.select().from(schema.returns).where(and(eq(schema.returns.id, returnId), eq(schema.returns.connectionId, connectionId)));
    if (!row) {
      console.error(`No return ${JSON.stringify(returnId)} for ${connectionId}. List waiting returns with: npm run conduit -- stock returns`);
      return 1;
    }
    if (row.status !== 'AWAITING_INSPECTION') {
      console.log(`Return ${returnId} was already decided: ${row.status}${row.decidedAt ? ` at ${row.decidedAt.toISOString()}` : ''}. Nothing changed.`);
      return 0;
    }
    const client = await session.client();
    const handle = client.workflow.getHandle<() => Promise<ReturnState>>(returnWorkflowId(connectionId, returnId));
    try {
      await handle.signal(inspectionSignal, { decision: decision as InspectionDecision, by: values.by ?? 'script' });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        console.error(`Return ${returnId} has no running workflow; the next returns pickup starts it. Try again after that.`);
        return 1;
      }
      throw err;
    }
    const outcome = await Promise.race([handle.result(), new Promise<null>((r) => setTimeout(() => r(null), 15_000).unref())]);
    if (!outcome) console.log(`Inspection recorded for ${returnId}; still being applied (check with: npm run conduit -- stock returns).`);
    else console.log(`Return ${returnId}: ${outcome.status}${outcome.status === 'RESTOCKED' ? ` — ${row.quantity} × ${showSku(row.sku)} back on hand, push to Amazon requested` : ''}.`);
    return 0;
  } finally {
    await session.close();
  }
}

if (require.main === module) {
  run(process.argv.slice(2)).then((code) => process.exit(code), exitWithClearError);
}
