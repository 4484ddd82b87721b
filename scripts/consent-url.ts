/**
 * `npx tsx scripts/consent-url.ts --connection uk-acme [--beta] [--redirect-uri URL] [--json]`
 *
 * The Seller Central consent URL that re-authorises an existing connection (never a new channel):
 * application id from SPAPI_APPLICATION_ID, a random `state` bound to the connection (valid 10
 * minutes, single use), the Seller Central host of the connection's marketplace. Send it to the
 * seller; when Amazon redirects back with `spapi_oauth_code`, run scripts/complete-reauth.ts.
 */
import { consentUrl, newConsentState, CONSENT_STATE_MAX_AGE_MS } from '../activities/auth';
import { consentRequestWorkflowId, consentRequestWorkflowType, type ConsentRequestInput, type ConsentRequestResult } from '../workflows/contracts/connection';
import { connectionArg, parseCliArgs, runCli, runWithUsage, UsageError, type ScriptContext } from './lib/connection-cli';

export const usage = `Usage: npx tsx scripts/consent-url.ts --connection <id> [options]

Prints the Seller Central URL the seller opens to re-authorise Conduit for this connection.

Options:
  --connection <id>      the connection to re-authorise (required)
  --beta                 add version=beta (the app is still in Draft; without it Amazon shows MD1000)
  --redirect-uri <url>   a redirect URI registered on the app (else the app's default)
  --json                 print {url, state, expiresAt} as JSON
`;

export interface ConsentUrlResult {
  url: string;
  state: string;
  expiresAt: string;
}

/** Registers a fresh state for the connection (through Temporal: the worker owns Postgres) and builds the URL. */
export async function createConsentUrl(ctx: ScriptContext, opts: { connectionId: string; beta?: boolean; redirectUri?: string }): Promise<ConsentUrlResult> {
  const applicationId = ctx.config.SPAPI_APPLICATION_ID;
  if (!applicationId) throw new UsageError('SPAPI_APPLICATION_ID is not set: use the app id shown in Seller Central → Develop Apps (amzn1.sp.solution.…)');
  const state = newConsentState();
  const client = await ctx.client();
  const input: ConsentRequestInput = { connectionId: opts.connectionId, state };
  const registered: ConsentRequestResult = await client.workflow.execute(consentRequestWorkflowType, {
    workflowId: consentRequestWorkflowId(opts.connectionId, state),
    taskQueue: ctx.taskQueue,
    args: [input],
  });
  const url = consentUrl({
    applicationId,
    state,
    marketplaceId: registered.marketplaceIds[0],
    region: registered.region,
    ...(opts.beta ? { beta: true } : {}),
    ...(opts.redirectUri ? { redirectUri: opts.redirectUri } : {}),
  });
  return { url, state, expiresAt: new Date(Date.now() + CONSENT_STATE_MAX_AGE_MS).toISOString() };
}

export async function run(argv: string[], ctx: ScriptContext): Promise<number> {
  return runWithUsage(usage, ctx, async () => {
    const { values } = parseCliArgs(argv, {
      connection: { type: 'string' },
      beta: { type: 'boolean', default: false },
      'redirect-uri': { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    const connectionId = connectionArg(values.connection);
    const redirectUri = values['redirect-uri'];
    if (redirectUri !== undefined && !/^https:\/\/\S+$/.test(redirectUri)) throw new UsageError('--redirect-uri must be an https:// URL registered on the app');
    const result = await createConsentUrl(ctx, { connectionId, beta: values.beta, ...(redirectUri ? { redirectUri } : {}) });
    if (values.json) {
      ctx.out(JSON.stringify(result));
      return 0;
    }
    ctx.out(`Send this to the seller of ${connectionId} (valid until ${result.expiresAt}, one use):\n\n  ${result.url}\n`);
    ctx.out('They sign in to Seller Central, grant every role on the consent screen (Selling Partner Insights, Fulfilment Inventory, Orders, Feeds) and confirm.');
    ctx.out('Amazon then redirects to the app with spapi_oauth_code; complete it within 5 minutes with:\n');
    ctx.out(`  npm run conduit -- reauth complete --connection ${connectionId} --state ${result.state} --code <spapi_oauth_code>`);
    return 0;
  });
}

if (require.main === module) runCli(run);
