/**
 * `npx tsx scripts/migrate-mws.ts --connection uk-acme [--wait] [--json]`
 *
 * Starts (or shows) the MWS → SP-API migration of a connection found on legacy MWS — the guide's
 * "orders late with no error". Workflow `mws-migration:<connection>`: rerunning the script while
 * it runs attaches to it, and after it completed shows the result; either way nothing changes.
 * The steps are visible in the Web UI (OrderState search attribute, `migrationStatus` query).
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, type WorkflowHandle } from '@temporalio/client';
import { scopeDisplayName } from '../domain/scopes';
import {
  MIGRATION_STEP_LABELS,
  migrationStatusQuery,
  migrationWorkflowId,
  migrationWorkflowType,
  type MigrationInput,
  type MigrationResult,
  type MigrationStatus,
} from '../workflows/contracts/migration';
import { ConnectionKey } from '../workflows/contracts/search-attributes';
import { connectionArg, parseCliArgs, runCli, runWithUsage, type ScriptContext } from './lib/connection-cli';

export const usage = `Usage: npx tsx scripts/migrate-mws.ts --connection <id> [options]

Moves a connection off legacy MWS: stops legacy polling, waits for the seller's SP-API consent,
verifies all four scopes, backfills the orders MWS delivered late, switches to SP-API.

Options:
  --connection <id>   the connection (required)
  --by <name>         who asked for it                                [operator]
  --wait              wait until the migration has finished
  --json              print status/result as JSON
`;

export interface MigrateOutcome {
  workflowId: string;
  /** STARTED: a new migration; RUNNING: it was already running (attached); FINISHED: it had completed before. */
  state: 'STARTED' | 'RUNNING' | 'FINISHED';
  status: MigrationStatus | null;
  result: MigrationResult | null;
}

/** Starts the migration with USE_EXISTING semantics; a completed one is reported, not repeated. */
export async function startMigration(ctx: ScriptContext, opts: { connectionId: string; by: string; wait?: boolean }): Promise<MigrateOutcome> {
  const client = await ctx.client();
  const workflowId = migrationWorkflowId(opts.connectionId);
  const input: MigrationInput = { connectionId: opts.connectionId, requestedBy: opts.by, orderPollIntervalMs: ctx.config.ORDER_POLL_INTERVAL };
  let handle: WorkflowHandle;
  let state: MigrateOutcome['state'];
  try {
    const existing = await client.workflow.getHandle(workflowId).describe().catch(() => null);
    handle = await client.workflow.start(migrationWorkflowType, {
      workflowId,
      taskQueue: ctx.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      // Only a failed/terminated migration may run again; a completed one stays the record.
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      typedSearchAttributes: [{ key: ConnectionKey, value: opts.connectionId }],
    });
    state = existing?.status.name === 'RUNNING' ? 'RUNNING' : 'STARTED';
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    handle = client.workflow.getHandle(workflowId);
    state = 'FINISHED';
  }
  if (state === 'FINISHED' || opts.wait) {
    const result = (await handle.result()) as MigrationResult;
    return { workflowId, state, status: await handle.query(migrationStatusQuery).catch(() => null), result };
  }
  // Give the first steps a moment so the operator sees where it stands.
  let status: MigrationStatus | null = null;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    status = await handle.query(migrationStatusQuery).catch(() => null);
    if (status && !['CONFIRMING_MWS', 'STOPPING_LEGACY_POLLING'].includes(status.step)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return { workflowId, state, status, result: null };
}

export async function run(argv: string[], ctx: ScriptContext): Promise<number> {
  return runWithUsage(usage, ctx, async () => {
    const { values } = parseCliArgs(argv, {
      connection: { type: 'string' },
      by: { type: 'string', default: 'operator' },
      wait: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    });
    const connectionId = connectionArg(values.connection);
    const outcome = await startMigration(ctx, { connectionId, by: values.by, wait: values.wait });
    if (values.json) {
      ctx.out(JSON.stringify(outcome));
      return 0;
    }
    const { status, result } = outcome;
    ctx.out(`${outcome.workflowId}: ${outcome.state === 'STARTED' ? 'started' : outcome.state === 'RUNNING' ? 'already running (nothing changed)' : 'finished earlier (nothing changed)'}`);
    if (status) {
      for (const s of status.steps) ctx.out(`  ${s.finishedAt ? '✓' : '…'} ${MIGRATION_STEP_LABELS[s.step]}${s.detail ? ` — ${s.detail}` : ''}`);
      if (status.attention) ctx.out(`\nNeeds attention: ${status.attention}`);
      if (status.deniedScopes.length > 0) ctx.out(`Denied scopes: ${status.deniedScopes.map(scopeDisplayName).join(', ')}`);
      if (status.step === 'AWAITING_SP_API_CONSENT') {
        ctx.out(`\nNext: send the seller a consent URL and complete it:\n  npm run conduit -- reauth url --connection ${connectionId}\n  npm run conduit -- reauth complete --connection ${connectionId} --state <state> --code <spapi_oauth_code>`);
      }
    }
    if (result) {
      ctx.out(
        result.outcome === 'NOT_NEEDED'
          ? `\n${connectionId} already uses SP-API: nothing to migrate.`
          : `\n${connectionId} now uses SP-API. Orders recovered by the backfill: ${result.ordersRecovered}${result.backfill ? ` (window ${result.backfill.from} → ${result.backfill.to})` : ''}.`,
      );
    }
    return 0;
  });
}

if (require.main === module) runCli(run);
