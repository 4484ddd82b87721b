/**
 * Runs a stock reconciliation now (the daily schedule runs the same workflow) and prints the report.
 *
 *   tsx scripts/reconcile.ts [--connection <id>] [--report-only] [--confirm-after 15m] [--last]
 */
import { parseArgs } from 'node:util';
import { desc, eq } from 'drizzle-orm';
import { schema } from '../db/client';
import { showSku } from '../domain/sku';
import { reconcileWorkflowId, type ReconcileInput, type ReconciliationReport } from '../workflows/contracts/stock';
import { exitWithClearError } from './lib/cli-errors';
import { UsageError } from './lib/connection-cli';
import { openOperatorSession, resolveConnectionId } from './lib/operator-session';

export const usage = `Usage: tsx scripts/reconcile.ts [options]

Compares Amazon's listings and FBA figures with Conduit's ledger, corrects FBM drift by pushing the
ledger's figure, and lists SKU mismatches (case, spaces, look-alike characters, unknown on one side).

Options:
  --connection <id>     the seller connection (default: the only one)
  --report-only         report drift, correct nothing
  --confirm-after <d>   how long drift where Amazon shows fewer units must persist before it is corrected (default 15m)
  --last                print the last stored report instead of running a new one
  --json                print the report as JSON
  --help
`;

/** The reconciliation report as an operator reads it. */
export function formatReconciliationReport(r: ReconciliationReport): string {
  const lines = [`Reconciliation of ${r.connectionId} (${r.startedAt} → ${r.finishedAt}), ${r.skusCompared} SKUs matched exactly`];
  lines.push('');
  if (r.fbmDrift.length === 0) lines.push('FBM quantities: Amazon matches the ledger for every SKU.');
  else {
    lines.push('FBM quantity drift (Amazon vs ledger):');
    for (const d of r.fbmDrift) {
      const what = { CORRECTED: 'corrected: push of the ledger figure requested', GONE: 'gone on a fresh read (a push or order was in flight)', PUSH_PENDING: 'a push is already on its way', REPORTED: 'not corrected (--report-only)' }[d.outcome];
      lines.push(`  ${showSku(d.sku)}: Amazon ${d.amazonQuantity}, ledger ${d.ledgerQuantity} (Amazon ${d.direction === 'HIGHER' ? 'offers more than the warehouse can ship' : 'offers less'}) — ${what}`);
    }
  }
  lines.push('');
  if (r.fbaDrift.length === 0) lines.push("FBA: Amazon's figures match the last FBA sync.");
  else {
    lines.push("FBA figures changed since the last sync (recorded by the next FBA sync; Amazon's figures lag reality):");
    for (const d of r.fbaDrift) lines.push(`  ${showSku(d.sku)}: Amazon ${d.amazonFulfillable}, recorded ${d.ledgerFulfillable}${d.amazonReportedAt ? ` (Amazon as of ${d.amazonReportedAt})` : ''}`);
  }
  lines.push('');
  if (r.nearMisses.length + r.onlyOnAmazon.length + r.onlyInConduit.length === 0) lines.push('SKUs: every Amazon listing matches a Conduit SKU exactly.');
  else {
    lines.push('SKU mismatches (not mapped; fix the SKU at its source):');
    for (const n of r.nearMisses) lines.push(`  ${n.message}`);
    for (const s of r.onlyOnAmazon) lines.push(`  ${showSku(s)} is listed on Amazon but unknown to Conduit: its orders will stop as unknown SKUs.`);
    for (const s of r.onlyInConduit) lines.push(`  ${showSku(s)} is in Conduit but not listed on Amazon under that SKU.`);
  }
  return lines.join('\n');
}

/** `reconcile`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      connection: { type: 'string' },
      'report-only': { type: 'boolean', default: false },
      'confirm-after': { type: 'string' },
      last: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  // Checked here: the value becomes a workflow timer, where a bad duration would fail every workflow task.
  const confirmAfter = values['confirm-after'];
  if (confirmAfter !== undefined && !/^\d{1,6}(ms|s|m|h|d)$/.test(confirmAfter.trim())) {
    throw new UsageError(`--confirm-after "${confirmAfter}" is not a duration: use e.g. 15m, 2h or 1d`);
  }
  const session = await openOperatorSession();
  try {
    const connectionId = await resolveConnectionId(session.db, values.connection);
    let report: ReconciliationReport;
    if (values.last) {
      const [row] = await session.db.select().from(schema.reconciliationRuns).where(eq(schema.reconciliationRuns.connectionId, connectionId)).orderBy(desc(schema.reconciliationRuns.finishedAt)).limit(1);
      if (!row) {
        console.log(`No reconciliation has run for ${connectionId} yet.`);
        return 0;
      }
      report = row.report as ReconciliationReport;
    } else {
      const client = await session.client();
      const input: ReconcileInput = { connectionId, correct: !values['report-only'], ...(confirmAfter ? { confirmLowerDriftAfter: confirmAfter.trim() } : {}) };
      console.error(`Reconciling ${connectionId}… (waits for Amazon's listings report)`);
      report = await client.workflow.execute('reconcileStock', {
        workflowId: reconcileWorkflowId(connectionId, new Date().toISOString().replace(/[:.]/g, '-')),
        taskQueue: session.config.TEMPORAL_TASK_QUEUE,
        args: [input],
      });
    }
    console.log(values.json ? JSON.stringify(report, null, 2) : formatReconciliationReport(report));
    return 0;
  } finally {
    await session.close();
  }
}

if (require.main === module) {
  run(process.argv.slice(2)).then((code) => process.exit(code), exitWithClearError);
}
