/**
 * `npx tsx scripts/complete-reauth.ts --connection uk-acme --state <state> --code <spapi_oauth_code>`
 *
 * Completes the Seller Central consent started by scripts/consent-url.ts, durably, in the
 * `completeReauthorisation` workflow: the state is checked (unused, this connection, < 10 min),
 * the code is exchanged for a refresh token stored sealed on the same connection, every scope is
 * probed, and the connection workflow is signalled `reauthorisationCompleted` — it probes again,
 * unblocks what Amazon answers, unpauses schedules and wakes the waiting workflows.
 * The code is never printed or logged. Exit 0 when all four scopes answer, 1 otherwise.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowIdReusePolicy } from '@temporalio/client';
import { scopeDisplayName, SCOPES, symptomForScope } from '../domain/scopes';
import {
  completeReauthorisationWorkflowId,
  completeReauthorisationWorkflowType,
  connectionStatusQuery,
  connectionWorkflowId,
  type CompleteReauthorisationInput,
  type CompleteReauthorisationResult,
  type ConnectionStatus,
} from '../workflows/contracts/connection';
import { migrationWorkflowId } from '../workflows/contracts/migration';
import { connectionArg, parseCliArgs, runCli, runWithUsage, table, UsageError, type ScriptContext } from './lib/connection-cli';

export const usage = `Usage: npx tsx scripts/complete-reauth.ts --connection <id> --state <state> --code <spapi_oauth_code> [options]

Completes a Seller Central consent for an existing connection and resumes the work it blocked.

Options:
  --connection <id>   the connection (required)
  --state <state>     the state from scripts/consent-url.ts, echoed back by Amazon (required)
  --code <code>       spapi_oauth_code from Amazon's redirect (required; valid about 5 minutes)
  --by <name>         who completed it, for the connection's history         [operator]
  --no-wait           do not wait for the connection workflow's own verification
  --json              print the result as JSON
`;

export interface CompleteReauthOutcome {
  result: CompleteReauthorisationResult;
  /** The connection workflow's view after its own probes (unless --no-wait). */
  status: ConnectionStatus | null;
}

/** Runs the completion workflow and (optionally) waits until the connection workflow has re-checked the scopes. */
export async function completeReauth(
  ctx: ScriptContext,
  input: CompleteReauthorisationInput,
  opts: { waitForConnection?: boolean; timeoutMs?: number } = {},
): Promise<CompleteReauthOutcome> {
  const client = await ctx.client();
  const connection = client.workflow.getHandle(connectionWorkflowId(input.connectionId));
  const before = await connection.query(connectionStatusQuery).catch(() => null);
  const result: CompleteReauthorisationResult = await client.workflow.execute(completeReauthorisationWorkflowType, {
    workflowId: completeReauthorisationWorkflowId(input.connectionId, input.state),
    taskQueue: ctx.taskQueue,
    args: [input],
    // A consent completes once: the same state again is refused, even after a failure (get a new URL).
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
  });
  if (opts.waitForConnection === false) return { result, status: null };
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const previous = before?.lastReauthorisation?.at ?? '';
  for (;;) {
    const status = await connection.query(connectionStatusQuery);
    if ((status.lastReauthorisation?.at ?? '') > previous) return { result, status };
    if (Date.now() > deadline) return { result, status };
    await new Promise((r) => setTimeout(r, 250));
  }
}

function describeFailure(err: unknown): string {
  if (err instanceof WorkflowExecutionAlreadyStartedError) {
    return 'This consent (state) has already been used. Generate a new consent URL (npm run conduit -- reauth url) and have the seller consent again.';
  }
  if (err instanceof WorkflowFailedError) {
    // ActivityFailure → ApplicationFailure: the message is written for operators and carries no secrets.
    let cause: unknown = err.cause;
    while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
    const message = cause instanceof Error ? cause.message : err.message;
    const type = (cause as { type?: string } | undefined)?.type;
    if (type === 'AccessDenied') return `Amazon refused the consent code (${message}). Codes expire after about 5 minutes and work once: generate a new consent URL.`;
    return message;
  }
  return err instanceof Error ? err.message : String(err);
}

export async function run(argv: string[], ctx: ScriptContext): Promise<number> {
  return runWithUsage(usage, ctx, async () => {
    const { values } = parseCliArgs(argv, {
      connection: { type: 'string' },
      state: { type: 'string' },
      code: { type: 'string' },
      by: { type: 'string', default: 'operator' },
      'no-wait': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    });
    const connectionId = connectionArg(values.connection);
    if (!values.state) throw new UsageError('--state is required (the state from scripts/consent-url.ts that Amazon echoed back)');
    if (!values.code) throw new UsageError('--code is required (spapi_oauth_code from Amazon\'s redirect)');
    let outcome: CompleteReauthOutcome;
    try {
      outcome = await completeReauth(ctx, { connectionId, state: values.state, code: values.code, by: values.by }, { waitForConnection: !values['no-wait'] });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError || err instanceof WorkflowFailedError) {
        ctx.err(`Re-authorisation of ${connectionId} failed: ${describeFailure(err)}`);
        return 1;
      }
      throw err;
    }
    const { result, status } = outcome;
    if (values.json) {
      ctx.out(JSON.stringify(outcome));
      return result.deniedScopes.length === 0 ? 0 : 1;
    }
    ctx.out(`Refresh token renewed and sealed for ${connectionId} (same connection, no new channel).\n`);
    ctx.out(
      table(
        ['Scope', 'Probe', 'If missing'],
        SCOPES.map((s) => [scopeDisplayName(s), result.verifiedScopes.includes(s) ? 'answers' : 'DENIED', result.verifiedScopes.includes(s) ? '' : symptomForScope(s)]),
      ),
    );
    if (status) {
      const blocked = status.blockedScopes.map((b) => scopeDisplayName(b.scope));
      ctx.out(`\nConnection workflow: ${blocked.length === 0 ? 'no blocked scopes; paused schedules resumed and waiting work woken' : `still blocked: ${blocked.join(', ')}`}.`);
    }
    if (result.migrating) ctx.out(`The MWS migration (${migrationWorkflowId(connectionId)}) was told the SP-API consent is done.`);
    if (result.deniedScopes.length > 0) {
      ctx.out(`\nAsk the seller to grant every role on the consent screen, then run npm run conduit -- reauth url --connection ${connectionId} again.`);
      return 1;
    }
    return 0;
  });
}

if (require.main === module) runCli(run);
