/**
 * Activities of the connection lifecycle: reading and mirroring a connection's auth state,
 * pausing/unpausing the schedules a blocked scope breaks, probing scopes with the cheapest call
 * that proves them, and the Seller Central consent round trip (state → code → sealed refresh token).
 *
 * Secrets: the refresh token exists in plain text only inside `exchangeConsentCode`, between the
 * LWA answer and `sealer.seal`; the consent code is never logged or returned.
 */
import { randomBytes } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import { schema, type Db } from '../db/client';
import { isScope, probeOperationForScope, scopeDisplayName, SCOPES, type Scope, type SpApiOperation } from '../domain/scopes';
import { SpApiError } from '../spapi/errors';
import { toApplicationFailure } from '../spapi/temporal';
import {
  ACCESS_PAUSE_NOTE_PREFIX,
  connectionWorkflowId,
  connectionWorkflowType,
  reauthorisationCompletedSignal,
  type ConnectionWorkflowInput,
} from '../workflows/contracts/connection';
import { migrationWorkflowId, migrationWorkflowType, spApiConsentCompletedSignal, type MigrationInput } from '../workflows/contracts/migration';
import { scheduleId, schedulesForScope } from '../workflows/contracts/schedules';
import { ConnectionKey } from '../workflows/contracts/search-attributes';
import type { ActivityDeps } from './deps';

/** A consent `state` is valid this long after it was issued (LWA codes themselves live ~5 minutes). */
export const CONSENT_STATE_MAX_AGE_MS = 10 * 60_000;

/** Failure type when a consent callback's `state` is unknown, used, expired or bound to another connection. */
export const INVALID_CONSENT_STATE = 'InvalidConsentState';
/** Failure type when the connection does not exist. */
export const UNKNOWN_CONNECTION = 'UnknownConnection';

/** What the connection workflow loads once at start (and after a reset). */
export interface ConnectionAuthRow {
  connectionId: string;
  apiKind: 'SP_API' | 'MWS';
  status: string;
  grantedScopes: Scope[];
  blockedScopes: Scope[];
  hasRefreshToken: boolean;
  sellerId: string;
  region: 'eu' | 'na' | 'fe';
  marketplaceIds: string[];
  /** When the seller last consented; null if Conduit never saw the consent (e.g. a token pasted in by hand before this column existed). */
  authorisedAt: string | null;
}

/** The result of one scope probe: granted, denied (403), or the connection has no token at all. */
export interface ScopeProbe {
  scope: Scope;
  operation: SpApiOperation;
  granted: boolean;
  /** One line for the operator: what the probe saw (never a token or payload). */
  detail: string;
}

/** The Seller Central host that shows the consent screen for a marketplace (unknown ids fall back to the region's host). */
export function sellerCentralHost(marketplaceId: string | undefined, region: 'eu' | 'na' | 'fe'): string {
  const byMarketplace: Record<string, string> = {
    A1F83G8C2ARO7P: 'sellercentral.amazon.co.uk',
    A1PA6795UKMFR9: 'sellercentral.amazon.de',
    A13V1IB3VIYZZH: 'sellercentral.amazon.fr',
    APJ6JRA9NG5V4: 'sellercentral.amazon.it',
    A1RKKUPIHCS9HS: 'sellercentral.amazon.es',
    A1805IZSGTT6HS: 'sellercentral.amazon.nl',
    A2NODRKZP88ZB9: 'sellercentral.amazon.se',
    A1C3SOZRARQ6R3: 'sellercentral.amazon.pl',
    AMEN7PMS3EDWL: 'sellercentral.amazon.com.be',
    A28R8C7NBKEWEA: 'sellercentral.amazon.ie',
    A33AVAJ2PDY3EV: 'sellercentral.amazon.com.tr',
    A2VIGQ35RCS4UG: 'sellercentral.amazon.ae',
    A17E79C6D8DWNP: 'sellercentral.amazon.sa',
    ARBP9OOSHTCHU: 'sellercentral.amazon.eg',
    A21TJRUUN4KGV: 'sellercentral.amazon.in',
    AE08WJ6YKNBMC: 'sellercentral.amazon.co.za',
    ATVPDKIKX0DER: 'sellercentral.amazon.com',
    A2EUQ1WTGCTBG2: 'sellercentral.amazon.ca',
    A1AM78C64UM0Y8: 'sellercentral.amazon.com.mx',
    A2Q3Y263D00KWC: 'sellercentral.amazon.com.br',
    A1VC38T7YXB528: 'sellercentral.amazon.co.jp',
    A39IBJ37TRP1C6: 'sellercentral.amazon.com.au',
    A19VAU5U5O7RUS: 'sellercentral.amazon.sg',
  };
  const regionHost = { eu: 'sellercentral-europe.amazon.com', na: 'sellercentral.amazon.com', fe: 'sellercentral.amazon.co.jp' } as const;
  return (marketplaceId ? byMarketplace[marketplaceId] : undefined) ?? regionHost[region];
}

/** The Seller Central consent URL (website authorisation workflow, sp-api.md §4). */
export function consentUrl(opts: {
  applicationId: string;
  state: string;
  marketplaceId: string | undefined;
  region: 'eu' | 'na' | 'fe';
  /** Draft apps need version=beta, or the consent page fails with MD1000. */
  beta?: boolean;
  redirectUri?: string;
}): string {
  const url = new URL(`https://${sellerCentralHost(opts.marketplaceId, opts.region)}/apps/authorize/consent`);
  url.searchParams.set('application_id', opts.applicationId);
  url.searchParams.set('state', opts.state);
  if (opts.redirectUri) url.searchParams.set('redirect_uri', opts.redirectUri);
  if (opts.beta) url.searchParams.set('version', 'beta');
  return url.toString();
}

/**
 * Starts the connection workflow if it is not running (USE_EXISTING): safe to call any number
 * of times, from the stack, onboarding, a worker at start-up or a script.
 */
export async function startConnectionWorkflow(client: Client, taskQueue: string, connectionId: string): Promise<{ workflowId: string; runId: string }> {
  const workflowId = connectionWorkflowId(connectionId);
  const input: ConnectionWorkflowInput = { connectionId };
  const handle = await client.workflow.start(connectionWorkflowType, {
    workflowId,
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [{ key: ConnectionKey, value: connectionId }],
  });
  return { workflowId, runId: handle.firstExecutionRunId };
}

/** Makes sure every connection in the database has its connection workflow (e.g. at worker start). */
export async function ensureConnectionWorkflows(client: Client, taskQueue: string, db: Db): Promise<string[]> {
  const rows = await db.select({ id: schema.connections.id }).from(schema.connections).where(sql`${schema.connections.status} <> 'DISCONNECTED'`);
  for (const row of rows) await startConnectionWorkflow(client, taskQueue, row.id);
  return rows.map((r) => r.id);
}

/** A fresh consent `state`: 24 random bytes, URL-safe. */
export function newConsentState(): string {
  return randomBytes(24).toString('base64url');
}

/** Binds a consent `state` to the connection in oauth_states (idempotent for the same pair). */
export async function registerConsentState(db: Db, connectionId: string, state: string): Promise<{ region: 'eu' | 'na' | 'fe'; marketplaceIds: string[] }> {
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(state)) throw ApplicationFailure.nonRetryable('The consent state must be 16-128 URL-safe characters', INVALID_CONSENT_STATE);
  const [row] = await db.select().from(schema.connections).where(eq(schema.connections.id, connectionId));
  if (!row) throw ApplicationFailure.nonRetryable(`Unknown connection "${connectionId}"`, UNKNOWN_CONNECTION);
  const inserted = await db.insert(schema.oauthStates).values({ state, connectionId }).onConflictDoNothing().returning({ state: schema.oauthStates.state });
  if (inserted.length === 0) {
    const [existing] = await db.select().from(schema.oauthStates).where(eq(schema.oauthStates.state, state));
    if (existing?.connectionId !== connectionId) throw ApplicationFailure.nonRetryable('That consent state is already bound to another connection', INVALID_CONSENT_STATE);
  }
  return { region: row.region as 'eu' | 'na' | 'fe', marketplaceIds: row.marketplaceIds };
}

function scopesOf(values: readonly string[]): Scope[] {
  return SCOPES.filter((s) => values.includes(s));
}

async function loadRow(db: Db, connectionId: string) {
  const [row] = await db.select().from(schema.connections).where(eq(schema.connections.id, connectionId));
  if (!row) throw ApplicationFailure.nonRetryable(`Unknown connection "${connectionId}"`, UNKNOWN_CONNECTION);
  return row;
}

const PROBE_ORDER_ID = '000-0000000-0000000';
const PROBE_SKU = 'CONDUIT-SCOPE-PROBE';

export function createAuthActivities(deps: ActivityDeps) {
  const { db, log } = deps;

  /** Makes the scope's probe call; throws the SpApiError as it came (a 404/400 means the role is there). */
  async function probeCall(connectionId: string, scope: Scope, row: Awaited<ReturnType<typeof loadRow>>): Promise<void> {
    const marketplaceId = row.marketplaceIds[0]!;
    const [item] = await db
      .select({ sku: schema.catalogueItems.sku })
      .from(schema.catalogueItems)
      .where(eq(schema.catalogueItems.connectionId, connectionId))
      .orderBy(schema.catalogueItems.sku)
      .limit(1);
    const sku = item?.sku ?? PROBE_SKU;
    const port = await deps.spApiFor(connectionId);
    switch (scope) {
      case 'SELLING_PARTNER_INSIGHTS':
        await port.searchOrders({ createdAfter: new Date(deps.clock().getTime() - 3_600_000).toISOString(), maxResultsPerPage: 1, marketplaceIds: [marketplaceId] });
        break;
      case 'FULFILMENT_INVENTORY':
        await port.getInventorySummaries({ marketplaceId, sellerSkus: [sku] });
        break;
      case 'ORDERS':
        // No read-only call proves this scope: a well-formed confirmation for an order that does not exist answers 404 with the role, 403 without.
        await port.confirmShipment(PROBE_ORDER_ID, {
          marketplaceId,
          packageDetail: {
            packageReferenceId: '1',
            carrierCode: 'Royal Mail',
            trackingNumber: 'CONDUITSCOPEPROBE',
            shipDate: deps.clock().toISOString(),
            orderItems: [{ orderItemId: '00000000000000', quantity: 1 }],
          },
        });
        break;
      case 'FEEDS':
        await port.getListingsItem(row.sellerId, sku, [marketplaceId]);
        break;
    }
  }

  /** The cheapest call for the scope (domain/scopes.ts probeOperationForScope); the verdict is data, never an AccessDenied failure. */
  async function probeScope(input: { connectionId: string; scope: Scope }): Promise<ScopeProbe> {
    const { connectionId, scope } = input;
    const operation = probeOperationForScope(scope);
    const row = await loadRow(db, connectionId);
    if (!row.refreshTokenEnc) return { scope, operation, granted: false, detail: 'no refresh token stored: complete the Seller Central consent first' };
    try {
      await probeCall(connectionId, scope, row);
      return { scope, operation, granted: true, detail: `${operation} answered` };
    } catch (err) {
      if (err instanceof SpApiError) {
        if (err.type === 'AccessDenied') {
          log.info('scope probe denied', { connectionId, scope, operation });
          return { scope, operation, granted: false, detail: `${operation}: AccessDenied (403 Unauthorized)` };
        }
        // Amazon checked the role before it looked for the order/SKU: 404/400 prove the scope.
        if (err.type === 'NotFound' || err.type === 'InvalidInput') return { scope, operation, granted: true, detail: `${operation} answered ${err.type} (role present)` };
        throw toApplicationFailure(err);
      }
      throw err;
    }
  }

  return {
    probeScope,

    /** The scope's probe call as ordinary work: AccessDenied fails the activity (not retried) so withAccess escalates it. */
    async callScopeOperation(input: { connectionId: string; scope: Scope }): Promise<{ operation: SpApiOperation; answer: string }> {
      const operation = probeOperationForScope(input.scope);
      const row = await loadRow(db, input.connectionId);
      try {
        await probeCall(input.connectionId, input.scope, row);
        return { operation, answer: 'OK' };
      } catch (err) {
        if (err instanceof SpApiError) {
          if (err.type === 'NotFound' || err.type === 'InvalidInput') return { operation, answer: err.type };
          throw toApplicationFailure(err);
        }
        throw err;
      }
    },

    /** The connection row's auth facts, for the connection workflow's first run. */
    async loadConnectionAuth(connectionId: string): Promise<ConnectionAuthRow> {
      const row = await loadRow(db, connectionId);
      return {
        connectionId,
        apiKind: row.apiKind === 'MWS' ? 'MWS' : 'SP_API',
        status: row.status,
        grantedScopes: scopesOf(row.grantedScopes),
        blockedScopes: scopesOf(row.blockedScopes),
        hasRefreshToken: row.refreshTokenEnc !== null,
        sellerId: row.sellerId,
        region: row.region as 'eu' | 'na' | 'fe',
        marketplaceIds: row.marketplaceIds,
        authorisedAt: row.authorisedAt ? row.authorisedAt.toISOString() : null,
      };
    },

    /** Mirrors the connection workflow's state onto the row (status, scopes) so scripts and the checklist can read it. MIGRATING/DISCONNECTED are left to their owners. */
    async recordConnectionAuthState(input: { connectionId: string; grantedScopes: Scope[]; blockedScopes: Scope[]; needsAttention: boolean }): Promise<void> {
      const status = input.needsAttention ? 'NEEDS_ATTENTION' : 'ACTIVE';
      await db
        .update(schema.connections)
        .set({
          grantedScopes: input.grantedScopes,
          blockedScopes: input.blockedScopes,
          status: sql`case when ${schema.connections.status} in ('MIGRATING','DISCONNECTED') then ${schema.connections.status} else ${status} end`,
          updatedAt: deps.clock(),
        })
        .where(eq(schema.connections.id, input.connectionId));
    },

    /** Pauses the schedules whose work needs `scope` (schedules.ts). Missing schedules are fine; schedules paused for another reason keep their note. */
    async pauseSchedulesForScope(input: { connectionId: string; scope: Scope; note: string }): Promise<string[]> {
      const paused: string[] = [];
      for (const kind of schedulesForScope(input.scope)) {
        const id = scheduleId(kind, input.connectionId);
        const handle = deps.workflowClient.schedule.getHandle(id);
        try {
          const description = await handle.describe();
          if (description.state.paused && !description.state.note?.startsWith(ACCESS_PAUSE_NOTE_PREFIX)) continue;
          await handle.pause(input.note);
          paused.push(id);
        } catch (err) {
          if (err instanceof ScheduleNotFoundError) continue;
          throw err;
        }
      }
      if (paused.length > 0) log.warn('schedules paused for a blocked scope', { connectionId: input.connectionId, scope: input.scope, schedules: paused });
      return paused;
    },

    /** Unpauses the schedules this scope's block paused (recognised by the note prefix); others stay as they are. */
    async resumeSchedulesForScope(input: { connectionId: string; scope: Scope; note: string }): Promise<string[]> {
      const resumed: string[] = [];
      for (const kind of schedulesForScope(input.scope)) {
        const id = scheduleId(kind, input.connectionId);
        const handle = deps.workflowClient.schedule.getHandle(id);
        try {
          const description = await handle.describe();
          if (!description.state.paused || !description.state.note?.startsWith(ACCESS_PAUSE_NOTE_PREFIX)) continue;
          await handle.unpause(input.note);
          resumed.push(id);
        } catch (err) {
          if (err instanceof ScheduleNotFoundError) continue;
          throw err;
        }
      }
      if (resumed.length > 0) log.info('schedules resumed after re-authorisation', { connectionId: input.connectionId, scope: input.scope, schedules: resumed });
      return resumed;
    },

    /** Starts the connection workflow if it is not running (USE_EXISTING). */
    async ensureConnectionWorkflow(connectionId: string): Promise<{ workflowId: string }> {
      const { workflowId } = await startConnectionWorkflow(deps.workflowClient, deps.taskQueue, connectionId);
      return { workflowId };
    },

    /** Binds the consent URL's `state` to the connection; the script builds the URL around it. */
    async registerConsentState(input: { connectionId: string; state: string }): Promise<{ region: 'eu' | 'na' | 'fe'; marketplaceIds: string[] }> {
      const registered = await registerConsentState(db, input.connectionId, input.state);
      log.info('consent state registered', { connectionId: input.connectionId });
      return registered;
    },

    /** Accepts a consent callback's `state` once: unused, bound to this connection, at most 10 minutes old. */
    async consumeConsentState(input: { connectionId: string; state: string }): Promise<{ issuedAt: string }> {
      // The database's clock on both sides: created_at is its now() too.
      const fresh = sql`now() - make_interval(secs => ${CONSENT_STATE_MAX_AGE_MS / 1000})`;
      const used = await db
        .update(schema.oauthStates)
        .set({ usedAt: sql`now()` })
        .where(
          and(
            eq(schema.oauthStates.state, input.state),
            eq(schema.oauthStates.connectionId, input.connectionId),
            isNull(schema.oauthStates.usedAt),
            gt(schema.oauthStates.createdAt, fresh),
          ),
        )
        .returning({ createdAt: schema.oauthStates.createdAt });
      if (used[0]) return { issuedAt: used[0].createdAt.toISOString() };
      const [row] = await db
        .select({ connectionId: schema.oauthStates.connectionId, createdAt: schema.oauthStates.createdAt, usedAt: schema.oauthStates.usedAt, recentlyUsed: sql<boolean>`${schema.oauthStates.usedAt} > ${fresh}` })
        .from(schema.oauthStates)
        .where(eq(schema.oauthStates.state, input.state));
      // A retry of this same activity after its update committed: the state is ours already.
      if (row && row.connectionId === input.connectionId && row.usedAt && row.recentlyUsed && Context.current().info.attempt > 1) {
        return { issuedAt: row.createdAt.toISOString() };
      }
      const why = !row
        ? 'was never issued by scripts/consent-url.ts'
        : row.connectionId !== input.connectionId
          ? 'belongs to a different connection'
          : row.usedAt
            ? 'has already been used'
            : 'is older than 10 minutes';
      throw ApplicationFailure.nonRetryable(`The consent state ${why}: generate a new consent URL with scripts/consent-url.ts --connection ${input.connectionId}`, INVALID_CONSENT_STATE);
    },

    /** Exchanges the one-time spapi_oauth_code for a refresh token and stores it sealed on the connection (same ID: never a new channel). */
    async exchangeConsentCode(input: { connectionId: string; code: string }): Promise<{ storedAt: string }> {
      await loadRow(db, input.connectionId);
      let refreshToken: string;
      try {
        ({ refreshToken } = await deps.spApiApp.exchangeAuthorizationCode(input.code));
      } catch (err) {
        if (err instanceof SpApiError) throw toApplicationFailure(err);
        throw err;
      }
      const storedAt = deps.clock();
      await db
        .update(schema.connections)
        .set({ refreshTokenEnc: deps.sealer.seal(refreshToken), authorisedAt: storedAt, updatedAt: storedAt })
        .where(eq(schema.connections.id, input.connectionId));
      log.info('refresh token renewed from consent', { connectionId: input.connectionId });
      return { storedAt: storedAt.toISOString() };
    },

    /**
     * Tells Temporal the consent is done: `reauthorisationCompleted` to the connection workflow
     * (started if missing) and, for a connection being migrated off MWS, `spApiConsentCompleted`
     * to its migration workflow.
     */
    async notifyReauthorisation(input: { connectionId: string; verifiedScopes: Scope[]; by: string }): Promise<{ migrating: boolean }> {
      const row = await loadRow(db, input.connectionId);
      const verifiedScopes = input.verifiedScopes.filter(isScope);
      const connectionInput: ConnectionWorkflowInput = { connectionId: input.connectionId };
      await deps.workflowClient.workflow.signalWithStart(connectionWorkflowType, {
        workflowId: connectionWorkflowId(input.connectionId),
        taskQueue: deps.taskQueue,
        args: [connectionInput],
        signal: reauthorisationCompletedSignal,
        signalArgs: [{ verifiedScopes, by: input.by }],
        typedSearchAttributes: [{ key: ConnectionKey, value: input.connectionId }],
      });
      const migrating = row.status === 'MIGRATING';
      if (migrating) {
        const migrationInput: MigrationInput = { connectionId: input.connectionId, requestedBy: input.by };
        await deps.workflowClient.workflow.signalWithStart(migrationWorkflowType, {
          workflowId: migrationWorkflowId(input.connectionId),
          taskQueue: deps.taskQueue,
          args: [migrationInput],
          signal: spApiConsentCompletedSignal,
          signalArgs: [{ verifiedScopes, by: input.by }],
          typedSearchAttributes: [{ key: ConnectionKey, value: input.connectionId }],
        });
      }
      log.info('re-authorisation signalled', { connectionId: input.connectionId, verified: verifiedScopes.map(scopeDisplayName), migrating });
      return { migrating };
    },
  };
}

export type AuthActivities = ReturnType<typeof createAuthActivities>;
