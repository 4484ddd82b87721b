/**
 * `npx tsx scripts/connect.ts --connection uk-acme --seller A2EXAMPLESELLER --marketplace A1F83G8C2ARO7P`
 *
 * Onboards a seller connection: the `onboardConnection` workflow writes the row and starts its
 * connection workflow (which every other workflow reports AccessDenied to). Without a token the
 * next step is the Seller Central consent (scripts/consent-url.ts); a private app's self-issued
 * refresh token can be passed through an environment variable (never on the command line), and
 * is sealed before it leaves this process. A legacy MWS connection is recorded as such, ready
 * for scripts/migrate-mws.ts.
 */
import { encryptionKey } from '../config';
import { MARKETPLACE_REGION } from '../activities/orders';
import type { ConnectionInput } from '../activities/connections';
import { createSealer } from '../spapi/secrets';
import { onboardingWorkflowId } from '../workflows/contracts/onboarding';
import { connectionStatusQuery, connectionWorkflowId, type ConnectionStatus } from '../workflows/contracts/connection';
import { connectionArg, parseCliArgs, runCli, runWithUsage, UsageError, type ScriptContext } from './lib/connection-cli';

export const usage = `Usage: npx tsx scripts/connect.ts --connection <id> --seller <sellerId> --marketplace <id> [options]

Creates (or updates) a seller connection and starts its connection workflow.

Options:
  --connection <id>          Conduit's id for the connection, e.g. uk-acme (required)
  --seller <sellerId>        the seller's merchant token / selling_partner_id (required)
  --marketplace <id>         marketplace id, repeatable, all in one region (required; UK A1F83G8C2ARO7P)
  --mws                      the seller is on legacy MWS (then run scripts/migrate-mws.ts)
  --last-mws-order-at <iso>  with --mws: when the last order MWS delivered was placed
  --refresh-token-env <VAR>  read a private app's refresh token from this environment variable
`;

export interface ConnectOptions {
  connectionId: string;
  sellerId: string;
  marketplaceIds: string[];
  mws?: boolean;
  lastMwsOrderAt?: string;
  /** Already sealed with the worker's key (see spapi/secrets.ts). */
  refreshTokenSealed?: string;
}

/** Runs onboarding (row + connection workflow) and returns the connection workflow's first status. */
export async function connect(ctx: ScriptContext, opts: ConnectOptions): Promise<{ created: boolean; status: ConnectionStatus | null }> {
  const regions = new Set(opts.marketplaceIds.map((m) => MARKETPLACE_REGION[m]));
  const region = [...regions][0];
  if (regions.size !== 1 || region === undefined) {
    throw new UsageError(`--marketplace: ${opts.marketplaceIds.join(', ')} must be known Amazon marketplaces of one region (an EU token never serves a .com marketplace)`);
  }
  const input: ConnectionInput = {
    connectionId: opts.connectionId,
    sellerId: opts.sellerId,
    region,
    marketplaceIds: opts.marketplaceIds,
    apiKind: opts.mws ? 'MWS' : 'SP_API',
    grantedScopes: [],
    ...(opts.refreshTokenSealed ? { refreshTokenSealed: opts.refreshTokenSealed } : {}),
    ...(opts.lastMwsOrderAt ? { lastMwsOrderAt: opts.lastMwsOrderAt } : {}),
  };
  const client = await ctx.client();
  const { created } = (await client.workflow.execute('onboardConnection', {
    workflowId: onboardingWorkflowId(opts.connectionId),
    taskQueue: ctx.taskQueue,
    args: [input],
  })) as { created: boolean };
  const status = await client.workflow.getHandle(connectionWorkflowId(opts.connectionId)).query(connectionStatusQuery).catch(() => null);
  return { created, status };
}

export async function run(argv: string[], ctx: ScriptContext): Promise<number> {
  return runWithUsage(usage, ctx, async () => {
    const { values } = parseCliArgs(argv, {
      connection: { type: 'string' },
      seller: { type: 'string' },
      marketplace: { type: 'string', multiple: true },
      mws: { type: 'boolean', default: false },
      'last-mws-order-at': { type: 'string' },
      'refresh-token-env': { type: 'string' },
    });
    const connectionId = connectionArg(values.connection);
    if (!values.seller || !/^[A-Z0-9]{5,20}$/.test(values.seller)) throw new UsageError('--seller <sellerId> is required (capital letters and digits, e.g. A2EXAMPLESELLER)');
    const marketplaceIds = values.marketplace ?? [];
    if (marketplaceIds.length === 0) throw new UsageError('--marketplace <id> is required (e.g. A1F83G8C2ARO7P for amazon.co.uk)');
    const lastMwsOrderAt = values['last-mws-order-at'];
    if (lastMwsOrderAt !== undefined && (!values.mws || Number.isNaN(Date.parse(lastMwsOrderAt)))) {
      throw new UsageError('--last-mws-order-at needs --mws and an ISO date-time, e.g. 2026-11-27T10:00:00Z');
    }
    let refreshTokenSealed: string | undefined;
    const tokenVar = values['refresh-token-env'];
    if (tokenVar) {
      const token = process.env[tokenVar];
      if (!token) throw new UsageError(`--refresh-token-env ${tokenVar}: that environment variable is empty`);
      const { key, keyId } = encryptionKey(ctx.config);
      refreshTokenSealed = createSealer(key, keyId).seal(token);
    }
    const { created, status } = await connect(ctx, {
      connectionId,
      sellerId: values.seller,
      marketplaceIds,
      mws: values.mws,
      ...(lastMwsOrderAt ? { lastMwsOrderAt: new Date(lastMwsOrderAt).toISOString() } : {}),
      ...(refreshTokenSealed ? { refreshTokenSealed } : {}),
    });
    ctx.out(`${connectionId}: ${created ? 'created' : 'updated'}; connection workflow ${connectionWorkflowId(connectionId)} is running.`);
    if (status?.needsAttention) for (const line of status.attention ?? []) ctx.out(`  needs attention: ${line}`);
    if (values.mws) ctx.out(`Next: npm run conduit -- migrate-mws --connection ${connectionId}`);
    else if (!refreshTokenSealed) ctx.out(`Next: npm run conduit -- reauth url --connection ${connectionId} (the seller authorises Conduit in Seller Central)`);
    else ctx.out(`Next: npm run conduit -- checklist --connection ${connectionId}`);
    return 0;
  });
}

if (require.main === module) runCli(run);
