/**
 * One connection as an operator checks it: the stored row (API, scopes, routing), the connection
 * workflow's view (blocked scopes with the guide's symptom, waiting workflows, renewal date),
 * a running MWS migration, and its schedules (paused or not, and why).
 *
 *   tsx scripts/connection-status.ts --connection <id> [--json]
 *   tsx scripts/connection-status.ts --connection <id> --reset-routing     (checklist item 4's fix)
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { downloadRulesOf } from '../activities/migration';
import { parseFeedWindow } from '../activities/feeds';
import { schema } from '../db/client';
import { routingProblems } from '../domain/checklist';
import { describeWindow } from '../domain/schedule';
import { isScope, scopeDisplayName, SCOPES } from '../domain/scopes';
import { connectionStatusQuery, connectionWorkflowId, type ConnectionStatus } from '../workflows/contracts/connection';
import { migrationStatusQuery, migrationWorkflowId, type MigrationStatus } from '../workflows/contracts/migration';
import { clearMessage, EXIT_UNAVAILABLE, exitWithClearError } from './lib/cli-errors';
import { connectionArg, parseCliArgs, table, UsageError, wantsHelp } from './lib/connection-cli';
import { openOperatorSession, resolveConnectionId } from './lib/operator-session';
import { listSchedules, type ScheduleRow } from './schedules';

export const usage = `Usage: npm run conduit -- connection status --connection <id> [--json]
       npm run conduit -- connection reset-routing --connection <id>

status          the connection's API, scopes (granted / blocked, with what the seller sees),
                routing rules, the connection workflow's view, a running MWS migration, schedules
reset-routing   restore the default download rules: FBM Unshipped + Partially shipped to the
                warehouse, every FBA order recorded with no despatch (checklist item 4)

Options:
  --connection <id>   the connection (default: the only one)
  --json              machine-readable output (status)
  --help
`;

export interface ConnectionReport {
  connection: {
    id: string;
    sellerId: string;
    region: string;
    marketplaceIds: string[];
    apiKind: string;
    status: string;
    grantedScopes: string[];
    blockedScopes: string[];
    authorisedAt: string | null;
    orderCursor: string | null;
    routing: { fbmStatuses: string[]; fbaStatuses: string[] | 'ALL'; problems: string[] };
    feedWindow: string;
    fbaLagAcknowledged: boolean;
  };
  /** The connection workflow's answer; null when it is not running or Temporal is unreachable. */
  workflow: ConnectionStatus | null;
  migration: MigrationStatus | null;
  schedules: ScheduleRow[];
  temporalError?: string;
}

async function temporalView(client: Client, connectionId: string): Promise<Pick<ConnectionReport, 'workflow' | 'migration' | 'schedules'>> {
  const workflow = await client.workflow
    .getHandle(connectionWorkflowId(connectionId))
    .query(connectionStatusQuery)
    .catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    });
  const migrationHandle = client.workflow.getHandle(migrationWorkflowId(connectionId));
  const migration = await migrationHandle
    .describe()
    .then((d) => (d.status.name === 'RUNNING' ? migrationHandle.query(migrationStatusQuery) : null))
    .catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    });
  const schedules = await listSchedules(client, connectionId);
  return { workflow, migration, schedules };
}

const scopeNames = (list: readonly string[]) => list.map((s) => (isScope(s) ? scopeDisplayName(s) : s)).join(', ') || '-';

/** The report as an operator reads it, with the command that fixes each problem. */
export function formatConnectionReport(r: ConnectionReport): string {
  const c = r.connection;
  const lines = [`Connection ${c.id}: seller ${c.sellerId}, region ${c.region}, marketplaces ${c.marketplaceIds.join(', ')}`];
  lines.push(`  API ${c.apiKind}, status ${c.status}${c.authorisedAt ? `, authorised ${c.authorisedAt}` : ''}`);
  lines.push(`  scopes granted: ${scopeNames(c.grantedScopes)}; blocked: ${scopeNames(c.blockedScopes)}`);
  lines.push(`  routing: FBM ${c.routing.fbmStatuses.join('/')} to the warehouse; FBA ${c.routing.fbaStatuses === 'ALL' ? 'all' : c.routing.fbaStatuses.join('/')} recorded only`);
  for (const p of c.routing.problems) lines.push(`  ⚠ ${p} — fix: npm run conduit -- connection reset-routing --connection ${c.id}`);
  lines.push(`  bulk feed window ${c.feedWindow}; FBA lag note acknowledged: ${c.fbaLagAcknowledged ? 'yes' : 'no'}`);
  lines.push(`  order cursor ${c.orderCursor ?? 'never polled'}`);
  const w = r.workflow;
  lines.push('', `Connection workflow ${connectionWorkflowId(c.id)}: ${w ? (w.needsAttention ? 'NEEDS ATTENTION' : 'ok') : r.temporalError ? 'not asked (Temporal unreachable)' : 'not running'}`);
  if (w) {
    for (const b of w.blockedScopes) {
      lines.push(`  ✗ ${scopeDisplayName(b.scope)} blocked since ${b.since}: ${b.symptom}`);
      if (b.operations.length) lines.push(`      denied: ${b.operations.join(', ')}`);
      if (b.waitingWorkflows.length) lines.push(`      waiting for re-authorisation: ${b.waitingWorkflows.slice(0, 5).join(', ')}${b.waitingWorkflows.length > 5 ? ` and ${b.waitingWorkflows.length - 5} more` : ''}`);
    }
    for (const a of w.attention ?? []) lines.push(`  ⚠ ${a}`);
    if (w.authorisationExpiresAt) lines.push(`  authorisation expires ${w.authorisationExpiresAt}`);
    if (w.lastReauthorisation) lines.push(`  last re-authorisation ${w.lastReauthorisation.at} by ${w.lastReauthorisation.by}: restored ${scopeNames(w.lastReauthorisation.restored)}; still denied ${scopeNames(w.lastReauthorisation.stillDenied)}`);
    if (w.blockedScopes.length > 0) {
      lines.push(`  Fix (auth problem, not rate): npm run conduit -- reauth url --connection ${c.id}   then   npm run conduit -- reauth complete --connection ${c.id} --state <state> --code <spapi_oauth_code>`);
    }
  }
  if (r.migration) lines.push('', `MWS migration ${migrationWorkflowId(c.id)}: ${r.migration.stepLabel}${r.migration.attention ? ` — ⚠ ${r.migration.attention}` : ''}`);
  else if (c.apiKind === 'MWS') lines.push('', `Legacy MWS connection (orders arrive hours late, no error): npm run conduit -- migrate-mws --connection ${c.id}`);
  if (r.schedules.length > 0) {
    lines.push('', 'Schedules (Web UI → Schedules)');
    lines.push(
      table(
        ['schedule', 'state', 'note'],
        r.schedules.map((s) => [s.id, s.exists ? (s.paused ? 'PAUSED' : 'active') : 'not created', s.note ?? '']),
      ).replace(/^/gm, '  '),
    );
  }
  if (r.temporalError) lines.push('', `(Temporal not asked: ${r.temporalError})`);
  return lines.join('\n');
}

/** `connection status`: 0 when read, 3 when Temporal could not be asked. */
export async function run(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    console.log(usage);
    return 0;
  }
  const { values } = parseCliArgs(argv, { connection: { type: 'string' }, json: { type: 'boolean', default: false } });
  if (values.connection !== undefined) connectionArg(values.connection);
  const session = await openOperatorSession();
  try {
    const connectionId = await resolveConnectionId(session.db, values.connection);
    const [row] = await session.db.select().from(schema.connections).where(eq(schema.connections.id, connectionId));
    if (!row) throw new UsageError(`--connection "${connectionId}": no such connection`);
    const rules = downloadRulesOf(row.downloadRules);
    const report: ConnectionReport = {
      connection: {
        id: row.id,
        sellerId: row.sellerId,
        region: row.region,
        marketplaceIds: row.marketplaceIds,
        apiKind: row.apiKind,
        status: row.status,
        grantedScopes: SCOPES.filter((s) => row.grantedScopes.includes(s)),
        blockedScopes: row.blockedScopes,
        authorisedAt: row.authorisedAt?.toISOString() ?? null,
        orderCursor: row.orderCursor?.toISOString() ?? null,
        routing: { fbmStatuses: [...rules.fbmStatuses], fbaStatuses: rules.fbaStatuses === 'ALL' ? 'ALL' : [...rules.fbaStatuses], problems: routingProblems(rules) },
        feedWindow: describeWindow(parseFeedWindow(row.feedWindow).window),
        fbaLagAcknowledged: row.fbaLagAcknowledged,
      },
      workflow: null,
      migration: null,
      schedules: [],
    };
    try {
      Object.assign(report, await temporalView(await session.client(), connectionId));
    } catch (err) {
      report.temporalError = clearMessage(err);
    }
    console.log(values.json ? JSON.stringify(report, null, 2) : formatConnectionReport(report));
    return report.temporalError ? EXIT_UNAVAILABLE : 0;
  } finally {
    await session.close();
  }
}

/** `connection reset-routing`: the guide's default download rules (connections.download_rules = null). */
export async function runResetRouting(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    console.log(usage);
    return 0;
  }
  const { values } = parseCliArgs(argv, { connection: { type: 'string' } });
  if (values.connection !== undefined) connectionArg(values.connection);
  const session = await openOperatorSession();
  try {
    const connectionId = await resolveConnectionId(session.db, values.connection);
    const [before] = await session.db.select({ rules: schema.connections.downloadRules }).from(schema.connections).where(eq(schema.connections.id, connectionId));
    await session.db.update(schema.connections).set({ downloadRules: null, updatedAt: new Date() }).where(eq(schema.connections.id, connectionId));
    const rules = downloadRulesOf(null);
    console.log(
      `${connectionId}: download rules ${before?.rules === null || before?.rules === undefined ? 'were already the default' : 'reset to the default'} — FBM ${rules.fbmStatuses.join('/')} go to the warehouse, ` +
        `FBA ${rules.fbaStatuses === 'ALL' ? 'all statuses' : rules.fbaStatuses.join('/')} are recorded with no despatch. The next order download uses them.`,
    );
    return 0;
  } finally {
    await session.close();
  }
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const reset = argv.includes('--reset-routing');
  (reset ? runResetRouting(argv.filter((a) => a !== '--reset-routing')) : run(argv)).then((code) => process.exit(code), exitWithClearError);
}
