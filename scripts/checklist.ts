/**
 * `npx tsx scripts/checklist.ts --connection uk-acme [--json] [--acknowledge-fba-lag] [--place-test-order]`
 *
 * The guide's 8-point pre-launch checklist against the live connection (workflow
 * `preLaunchChecklist`): a pass/fail table with the fix for each failure.
 * Exit 0 all pass, 1 any fail, 2 bad arguments.
 */
import { WorkflowIdReusePolicy } from '@temporalio/client';
import { DEFAULT_PEAK_HOURS, type DailyWindow } from '../domain/schedule';
import { SimulatorControl } from '../simulator/control-client';
import { checklistWorkflowId, checklistWorkflowType, type ChecklistInput, type ChecklistReport } from '../workflows/contracts/checklist';
import { connectionArg, parseCliArgs, runCli, runWithUsage, table, UsageError, type ScriptContext } from './lib/connection-cli';

export const usage = `Usage: npx tsx scripts/checklist.ts --connection <id> [options]

Runs the 8-point Amazon pre-launch checklist against the live connection.

Options:
  --connection <id>         the connection (required)
  --json                    print the full report (facts and items) as JSON
  --acknowledge-fba-lag     record that the operations team has read the 4–6 h FBA lag note (item 8)
  --by <name>               who acknowledges                                       [operator]
  --peak-hours <HH-HH>      UK peak trading hours the feed window must avoid        [08-22]
  --place-test-order        simulator only: place a test FBM order for item 6, then despatch it
`;

function parseHours(text: string): DailyWindow {
  const m = /^(\d{1,2})-(\d{1,2})$/.exec(text.trim());
  const start = Number(m?.[1]);
  const end = Number(m?.[2]);
  if (!m || start > 23 || end > 24) throw new UsageError(`--peak-hours "${text}" must look like 08-22 (UK hours)`);
  return { startHour: start, endHour: end, timeZone: 'Europe/London' };
}

/** Runs the checklist workflow (one at a time per connection; a concurrent run is joined). */
export async function runChecklistWorkflow(ctx: ScriptContext, input: ChecklistInput): Promise<ChecklistReport> {
  const client = await ctx.client();
  const handle = await client.workflow.start(checklistWorkflowType, {
    workflowId: checklistWorkflowId(input.connectionId),
    taskQueue: ctx.taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
  });
  return (await handle.result()) as ChecklistReport;
}

/** Prints the pass/fail table and the fixes. */
export function formatReport(report: ChecklistReport): string {
  const lines = [
    `Pre-launch checklist for ${report.connectionId} (seller ${report.sellerId})`,
    '',
    table(
      ['#', 'Check', 'Result', 'Detail'],
      report.items.map((i) => [String(i.id), i.title, i.passed ? 'PASS' : 'FAIL', i.detail]),
    ),
  ];
  const failed = report.items.filter((i) => !i.passed);
  if (failed.length > 0) {
    lines.push('', 'To fix:');
    for (const i of failed) lines.push(`  ${i.id}. ${i.title}: ${i.fix ?? ''}`);
  }
  for (const note of report.notes) lines.push(`Note: ${note}`);
  lines.push('', report.ready ? 'Ready to go live.' : `${failed.length} of 8 checks failed: not ready to go live.`);
  return lines.join('\n');
}

export async function run(argv: string[], ctx: ScriptContext): Promise<number> {
  return runWithUsage(usage, ctx, async () => {
    const { values } = parseCliArgs(argv, {
      connection: { type: 'string' },
      json: { type: 'boolean', default: false },
      'acknowledge-fba-lag': { type: 'boolean', default: false },
      by: { type: 'string', default: 'operator' },
      'peak-hours': { type: 'string' },
      'place-test-order': { type: 'boolean', default: false },
    });
    const connectionId = connectionArg(values.connection);
    const peakHours = values['peak-hours'] ? parseHours(values['peak-hours']) : DEFAULT_PEAK_HOURS;
    if (values['place-test-order'] && !ctx.config.SPAPI_ENDPOINT) {
      throw new UsageError('--place-test-order works against the simulator only (SPAPI_ENDPOINT unset): place a real test order in Seller Central instead');
    }
    const input: ChecklistInput = {
      connectionId,
      peakHours,
      stockSyncIntervalMinutes: Math.max(1, Math.round(ctx.config.FBA_SYNC_INTERVAL / 60_000)),
      ...(values['acknowledge-fba-lag'] ? { acknowledgeFbaLag: { by: values.by } } : {}),
    };
    const report = await runChecklistWorkflow(ctx, input);
    if (values['place-test-order'] && ctx.config.SPAPI_ENDPOINT) {
      const sku = report.fbmSkus[0];
      if (!sku) {
        ctx.err('No FBM SKU with stock to order: add stock first.');
      } else {
        const placed = await new SimulatorControl(ctx.config.SPAPI_ENDPOINT).createOrders(report.sellerId, [
          { marketplaceId: report.marketplaceIds[0], fulfilledBy: 'MERCHANT', items: [{ sku, quantity: 1 }], sellerOrderId: 'CONDUIT-TEST-ORDER' },
        ]);
        const orderId = placed.orders[0]?.orderId;
        ctx.out(`Placed test FBM order ${orderId} (${sku} × 1) in the simulator. Let Conduit download it, despatch it (npm run conduit -- despatch), then run this checklist again.\n`);
      }
    }
    ctx.out(values.json ? JSON.stringify(report) : formatReport(report));
    return report.ready ? 0 : 1;
  });
}

if (require.main === module) runCli(run);
