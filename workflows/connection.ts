/**
 * The connection workflow: one per seller connection, long-lived. It holds the connection's
 * auth state — scopes granted, scopes blocked (since when, the seller-visible symptom, which
 * operations failed, which workflows wait), API kind, authorisation expiry — and is where
 * AccessDenied ends up:
 *
 *   accessDenied (from withAccess) → block the scope → pause the schedules that need it
 *   reauthorisationCompleted (script or Web UI) → probe every scope itself → unblock what answers
 *     → unpause those schedules → `reauthorised` to every waiting workflow
 *
 * A signal is a request to re-check, never proof: a click in the Web UI cannot unblock a scope
 * Amazon still denies. All state is plain JSON and continues as new when the history grows.
 */
import {
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AuthActivities, ScopeProbe } from '../activities/auth';
import { instantOrThrow, toIso } from '../domain/time';
import { isScope, probeOperationForScope, SCOPES, scopeDisplayName, symptomForScope, type Scope, type SpApiOperation } from '../domain/scopes';
import { dbWrite, spApiCall } from '../spapi/activity-options';
import {
  ACCESS_PAUSE_NOTE_PREFIX,
  accessDeniedSignal,
  apiKindChangedSignal,
  AUTHORISATION_LIFETIME_DAYS,
  connectionStatusQuery,
  reauthorisationCompletedSignal,
  reauthorisedSignal,
  RENEWAL_WARNING_DAYS,
  type AccessDeniedReport,
  type BlockedScopeState,
  type ConnectionSnapshot,
  type ConnectionStatus,
  type ConnectionWorkflowInput,
  type ReauthorisationCompleted,
  type CompleteReauthorisationInput,
  type CompleteReauthorisationResult,
  type ConsentRequestInput,
  type ConsentRequestResult,
  type ScopeCanaryInput,
  type ScopeCanaryResult,
} from './contracts/connection';
import { BlockedScopesKey, ConnectionKey, NeedsAttentionKey } from './contracts/search-attributes';
import { installReauthorisationHandler, withAccess } from './lib/access';
import { workflowNowIso } from './lib/time';

const DAY_MS = 86_400_000;
/** A late AccessDenied report within this window after a restore is re-checked with a probe (it may predate the re-authorisation). */
const RESTORE_RECHECK_WINDOW_MS = 15 * 60_000;
const DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS = 10_000;
const CONNECTION_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;

const store = proxyActivities<AuthActivities>(dbWrite);
const amazon = proxyActivities<AuthActivities>(spApiCall);
const temporal = proxyActivities<AuthActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
// The code exchange: a used code cannot be exchanged again, so a failure after Amazon answered is not worth many retries.
const exchange = proxyActivities<AuthActivities>({ ...spApiCall, retry: { ...spApiCall.retry, maximumAttempts: 3 } });

/** The schedule pause note: the guide's symptom and the way out, readable in the Web UI's schedule list. */
export function accessPauseNote(connectionId: string, scope: Scope, since: string): string {
  return (
    `${ACCESS_PAUSE_NOTE_PREFIX} ${scopeDisplayName(scope)} denied by Amazon since ${since}: ${symptomForScope(scope)}. ` +
    `Re-authorise the existing connection (do not create a new one): npx tsx scripts/consent-url.ts --connection ${connectionId}`
  );
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function emptySnapshot(): ConnectionSnapshot {
  return {
    apiKind: 'SP_API',
    grantedScopes: [],
    blocked: [],
    authorisationExpiresAt: null,
    lastReauthorisation: null,
    recentlyRestored: [],
    pendingReports: [],
    pendingReauthorisations: [],
  };
}

/** The connection's state and the steps that change it; every change happens in the main loop, handlers only queue. */
class Connection {
  state: ConnectionSnapshot;
  apiKindChange: { apiKind: 'SP_API' | 'MWS'; by: string } | null = null;
  private published = '';

  constructor(
    readonly connectionId: string,
    carried: ConnectionSnapshot | undefined,
  ) {
    this.state = carried ? structuredCloneJson(carried) : emptySnapshot();
  }

  blockedOf(scope: Scope): BlockedScopeState | undefined {
    return this.state.blocked.find((b) => b.scope === scope);
  }

  hasWork(): boolean {
    return this.state.pendingReports.length > 0 || this.state.pendingReauthorisations.length > 0 || this.apiKindChange !== null;
  }

  attention(now: string): string[] {
    const lines = this.state.blocked.map((b) => `${scopeDisplayName(b.scope)} blocked since ${b.since}: ${b.symptom}`);
    if (this.state.apiKind === 'MWS') lines.push('Still on legacy MWS: orders arrive hours late with no error. Run scripts/migrate-mws.ts');
    const due = this.renewalDueAt();
    if (due !== null && instantOrThrow(now, 'now') >= due) lines.push(`Seller authorisation expires ${this.state.authorisationExpiresAt}: re-authorise before then`);
    return lines;
  }

  renewalDueAt(): number | null {
    const expires = this.state.authorisationExpiresAt;
    return expires === null ? null : instantOrThrow(expires, 'authorisationExpiresAt') - RENEWAL_WARNING_DAYS * DAY_MS;
  }

  status(): ConnectionStatus {
    const now = workflowNowIso();
    const attention = this.attention(now);
    return {
      connectionId: this.connectionId,
      apiKind: this.state.apiKind,
      grantedScopes: [...this.state.grantedScopes],
      blockedScopes: this.state.blocked.map((b) => ({
        scope: b.scope,
        since: b.since,
        symptom: b.symptom,
        operations: [...b.operations],
        waitingWorkflows: [...b.waitingWorkflows],
      })),
      needsAttention: attention.length > 0,
      attention,
      authorisationExpiresAt: this.state.authorisationExpiresAt,
      lastReauthorisation: this.state.lastReauthorisation,
    };
  }

  /** First run: the row is the starting point (a reset or re-created workflow keeps what the row knew). */
  async load(): Promise<void> {
    const row = await store.loadConnectionAuth(this.connectionId);
    const now = workflowNowIso();
    this.state.apiKind = row.apiKind;
    this.state.grantedScopes = row.grantedScopes.filter((s) => !row.blockedScopes.includes(s));
    this.state.blocked = row.blockedScopes.map((scope) => ({
      scope,
      since: now,
      symptom: symptomForScope(scope),
      operations: [],
      waitingWorkflows: [],
      message: 'blocked before this workflow started (from the connections row)',
    }));
    this.state.authorisationExpiresAt = row.authorisedAt ? toIso(instantOrThrow(row.authorisedAt, 'authorisedAt') + AUTHORISATION_LIFETIME_DAYS * DAY_MS) : null;
    // A token nobody has verified yet (a freshly onboarded private-app token): find out what it can do.
    if (row.apiKind === 'SP_API' && row.hasRefreshToken && row.grantedScopes.length === 0 && row.blockedScopes.length === 0) {
      this.state.pendingReauthorisations.push({ verifiedScopes: [], by: 'onboarding' });
    }
  }

  /** Search attributes and the connections row follow the state; unchanged state writes nothing. */
  async publish(): Promise<void> {
    const attention = this.attention(workflowNowIso());
    const blockedScopes = this.state.blocked.map((b) => b.scope);
    const view = { apiKind: this.state.apiKind, granted: this.state.grantedScopes, blockedScopes, needsAttention: attention.length > 0 };
    const key = JSON.stringify(view);
    if (key === this.published) return;
    upsertSearchAttributes([
      { key: ConnectionKey, value: this.connectionId },
      { key: NeedsAttentionKey, value: view.needsAttention },
      { key: BlockedScopesKey, value: blockedScopes },
    ]);
    await store.recordConnectionAuthState({
      connectionId: this.connectionId,
      grantedScopes: SCOPES.filter((s) => this.state.grantedScopes.includes(s)),
      blockedScopes,
      needsAttention: blockedScopes.length > 0,
    });
    this.published = key;
  }

  /** Runs probes in parallel; a probe that cannot finish (bad response) counts as "unknown", never as granted. */
  async probe(scopes: readonly Scope[]): Promise<Map<Scope, ScopeProbe | null>> {
    const results = await Promise.all(
      scopes.map(async (scope) => {
        try {
          return [scope, await amazon.probeScope({ connectionId: this.connectionId, scope })] as const;
        } catch (err) {
          log.warn('scope probe failed', { connectionId: this.connectionId, scope, error: err instanceof Error ? err.message : String(err) });
          return [scope, null] as const;
        }
      }),
    );
    return new Map(results);
  }

  async handleReports(reports: AccessDeniedReport[]): Promise<void> {
    const now = workflowNowIso();
    const toBlock = new Map<Scope, AccessDeniedReport[]>();
    const recheck: AccessDeniedReport[] = [];
    for (const report of reports) {
      const blocked = this.blockedOf(report.scope);
      if (blocked) {
        blocked.operations = unique([...blocked.operations, report.operation]);
        blocked.waitingWorkflows = unique([...blocked.waitingWorkflows, report.workflowId]);
        blocked.message = report.message;
        continue;
      }
      const restored = this.state.recentlyRestored.find((r) => r.scope === report.scope);
      const recent = restored && instantOrThrow(now, 'now') - instantOrThrow(restored.at, 'restoredAt') < RESTORE_RECHECK_WINDOW_MS;
      if (recent && !restored.resumedOnProbe.includes(report.workflowId)) recheck.push(report);
      else toBlock.set(report.scope, [...(toBlock.get(report.scope) ?? []), report]);
    }
    // A report right after a re-authorisation may describe a call made before it: ask Amazon once.
    if (recheck.length > 0) {
      const verdicts = await this.probe(unique(recheck.map((r) => r.scope)));
      for (const report of recheck) {
        const restored = this.state.recentlyRestored.find((r) => r.scope === report.scope);
        if (verdicts.get(report.scope)?.granted && restored && !this.blockedOf(report.scope)) {
          restored.resumedOnProbe = unique([...restored.resumedOnProbe, report.workflowId]);
          await this.resume([report.workflowId], [report.scope]);
        } else {
          toBlock.set(report.scope, [...(toBlock.get(report.scope) ?? []), report]);
        }
      }
    }
    for (const [scope, scopeReports] of toBlock) await this.block(scope, scopeReports, now);
  }

  /** Marks the scope blocked, shows it (query, search attributes, row), then pauses the schedules that need it. */
  async block(scope: Scope, reports: AccessDeniedReport[], since: string): Promise<void> {
    const existing = this.blockedOf(scope);
    if (existing) {
      existing.operations = unique([...existing.operations, ...reports.map((r) => r.operation)]);
      existing.waitingWorkflows = unique([...existing.waitingWorkflows, ...reports.map((r) => r.workflowId)]);
      return;
    }
    this.state.blocked.push({
      scope,
      since,
      symptom: symptomForScope(scope),
      operations: unique(reports.map((r) => r.operation)),
      waitingWorkflows: unique(reports.map((r) => r.workflowId)),
      message: reports.at(-1)?.message ?? 'the scope probe was denied',
    });
    this.state.blocked.sort((a, b) => SCOPES.indexOf(a.scope) - SCOPES.indexOf(b.scope));
    this.state.grantedScopes = this.state.grantedScopes.filter((s) => s !== scope);
    this.state.recentlyRestored = this.state.recentlyRestored.filter((r) => r.scope !== scope);
    log.warn('scope blocked', { connectionId: this.connectionId, scope, symptom: symptomForScope(scope), waiting: reports.map((r) => r.workflowId) });
    await this.publish();
    await temporal.pauseSchedulesForScope({ connectionId: this.connectionId, scope, note: accessPauseNote(this.connectionId, scope, since) });
  }

  /**
   * Re-checks every scope with its own probes (the signal's list is only a hint), unblocks those
   * that answer, unpauses their schedules and wakes the workflows waiting on them. A scope that is
   * still denied stays blocked, and a granted scope that is now denied becomes blocked.
   */
  async handleReauthorisations(reauths: ReauthorisationCompleted[]): Promise<void> {
    const now = workflowNowIso();
    const by = unique(reauths.map((r) => r.by)).join(', ');
    const verdicts = await this.probe(SCOPES);
    const restored: Scope[] = [];
    const stillDenied: Scope[] = [];
    const wake = new Map<string, Scope[]>();
    for (const scope of SCOPES) {
      const verdict = verdicts.get(scope);
      if (!verdict) continue; // unknown: leave it as it was
      const blocked = this.blockedOf(scope);
      if (verdict.granted) {
        this.state.grantedScopes = unique([...this.state.grantedScopes, scope]);
        if (blocked) {
          restored.push(scope);
          this.state.blocked = this.state.blocked.filter((b) => b.scope !== scope);
          this.state.recentlyRestored = [...this.state.recentlyRestored.filter((r) => r.scope !== scope), { scope, at: now, resumedOnProbe: [] }];
          for (const wf of blocked.waitingWorkflows) wake.set(wf, [...(wake.get(wf) ?? []), scope]);
        }
      } else {
        stillDenied.push(scope);
        if (!blocked) await this.block(scope, [], now);
      }
    }
    this.state.grantedScopes = SCOPES.filter((s) => this.state.grantedScopes.includes(s));
    if (stillDenied.length === 0 || restored.length > 0) {
      this.state.authorisationExpiresAt = toIso(instantOrThrow(now, 'now') + AUTHORISATION_LIFETIME_DAYS * DAY_MS);
    }
    this.state.lastReauthorisation = { at: now, by, restored, stillDenied };
    log.info('re-authorisation verified', { connectionId: this.connectionId, by, restored, stillDenied });
    await this.publish();
    for (const scope of restored) {
      await temporal.resumeSchedulesForScope({ connectionId: this.connectionId, scope, note: `Resumed by Conduit: ${scopeDisplayName(scope)} verified after re-authorisation by ${by}` });
    }
    for (const [workflowId, scopes] of wake) await this.resume([workflowId], scopes);
  }

  /** Signals `reauthorised` to each workflow; one that has ended since it reported is skipped. */
  async resume(workflowIds: string[], scopes: Scope[]): Promise<void> {
    await Promise.all(
      workflowIds.map(async (workflowId) => {
        try {
          await getExternalWorkflowHandle(workflowId).signal(reauthorisedSignal, { scopes });
        } catch (err) {
          log.info('waiting workflow is gone; nothing to resume', { workflowId, error: err instanceof Error ? err.message : String(err) });
        }
      }),
    );
  }

  async handleApiKindChange(change: { apiKind: 'SP_API' | 'MWS'; by: string }): Promise<void> {
    this.state.apiKind = change.apiKind;
    log.info('API kind changed', { connectionId: this.connectionId, apiKind: change.apiKind, by: change.by });
    await this.publish();
  }
}

function structuredCloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** One per seller connection, ID `connection:<id>` (connectionWorkflowId); start it with activities/auth.ts `startConnectionWorkflow`. */
export async function connectionWorkflow(input: ConnectionWorkflowInput): Promise<void> {
  if (!CONNECTION_ID.test(input.connectionId)) throw new Error(`connectionId "${input.connectionId}" must be lower-case letters, digits and dashes`);
  const connection = new Connection(input.connectionId, input.carried);
  const limit = input.continueAsNewAfterEvents ?? DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS;

  setHandler(accessDeniedSignal, (report) => {
    if (!report || !isScope(report.scope) || typeof report.workflowId !== 'string') {
      log.warn('ignored malformed accessDenied signal', { connectionId: input.connectionId });
      return;
    }
    connection.state.pendingReports.push({
      scope: report.scope,
      operation: report.operation as SpApiOperation,
      workflowId: report.workflowId,
      message: String(report.message ?? '').slice(0, 500),
    });
  });
  setHandler(reauthorisationCompletedSignal, (completed) => {
    // From the Web UI this is hand-typed JSON: keep only what is well-formed.
    const verifiedScopes = Array.isArray(completed?.verifiedScopes) ? completed.verifiedScopes.filter((s) => typeof s === 'string' && isScope(s)) : [];
    const by = typeof completed?.by === 'string' && completed.by.trim() !== '' ? completed.by.trim().slice(0, 100) : 'unknown';
    connection.state.pendingReauthorisations.push({ verifiedScopes, by });
  });
  setHandler(apiKindChangedSignal, (change) => {
    if (change?.apiKind === 'SP_API' || change?.apiKind === 'MWS') connection.apiKindChange = { apiKind: change.apiKind, by: String(change.by ?? 'unknown') };
  });
  setHandler(connectionStatusQuery, () => connection.status());

  if (!input.carried) await connection.load();
  await connection.publish();

  for (;;) {
    const dueAt = connection.renewalDueAt();
    const untilDue = dueAt === null ? 0 : dueAt - instantOrThrow(workflowNowIso(), 'now');
    const shouldContinue = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= limit;
    if (untilDue > 0) await condition(() => connection.hasWork() || shouldContinue(), untilDue);
    else await condition(() => connection.hasWork() || shouldContinue());

    // Reports first: a re-authorisation in the same batch then sees (and resumes) their workflows.
    const reports = connection.state.pendingReports.splice(0);
    if (reports.length > 0) await connection.handleReports(reports);
    const reauths = connection.state.pendingReauthorisations.splice(0);
    if (reauths.length > 0) await connection.handleReauthorisations(reauths);
    const change = connection.apiKindChange;
    connection.apiKindChange = null;
    if (change) await connection.handleApiKindChange(change);
    await connection.publish(); // the renewal warning may have come due

    if (shouldContinue() && !connection.hasWork()) {
      await continueAsNew<typeof connectionWorkflow>({ ...input, carried: connection.state });
    }
  }
}

/**
 * Binds the consent URL's `state` to the connection (scripts/consent-url.ts). A workflow rather
 * than a database call from the script, so the script needs only Temporal: the worker owns Postgres.
 */
export async function consentRequest(input: ConsentRequestInput): Promise<ConsentRequestResult> {
  return store.registerConsentState({ connectionId: input.connectionId, state: input.state });
}

/**
 * Completes a Seller Central consent (scripts/complete-reauth.ts): accept the `state` once, exchange
 * the code for a refresh token stored sealed on the same connection, probe every scope, then tell
 * the connection workflow (and a running MWS migration). The connection workflow probes again
 * before it unblocks anything.
 */
export async function completeReauthorisation(input: CompleteReauthorisationInput): Promise<CompleteReauthorisationResult> {
  const { connectionId } = input;
  await store.consumeConsentState({ connectionId, state: input.state });
  await exchange.exchangeConsentCode({ connectionId, code: input.code });
  const verdicts = await Promise.all(SCOPES.map((scope) => amazon.probeScope({ connectionId, scope })));
  const verifiedScopes = verdicts.filter((v) => v.granted).map((v) => v.scope);
  const deniedScopes = verdicts.filter((v) => !v.granted).map((v) => v.scope);
  const { migrating } = await temporal.notifyReauthorisation({ connectionId, verifiedScopes, by: input.by });
  return { connectionId, verifiedScopes, deniedScopes, migrating };
}

/** One call of the scope's probe operation under withAccess: denied → reported and parked until `reauthorised`, then repeated. */
export async function scopeCanary(input: ScopeCanaryInput): Promise<ScopeCanaryResult> {
  installReauthorisationHandler();
  if (!isScope(input.scope)) throw new Error(`"${String(input.scope)}" is not a scope; use one of ${SCOPES.join(', ')}`);
  let blockedTimes = 0;
  await withAccess(input.connectionId, () => amazon.callScopeOperation({ connectionId: input.connectionId, scope: input.scope }), {
    onBlocked: () => {
      blockedTimes++;
      upsertSearchAttributes([
        { key: ConnectionKey, value: input.connectionId },
        { key: NeedsAttentionKey, value: true },
      ]);
    },
    onResumed: () => upsertSearchAttributes([{ key: NeedsAttentionKey, value: false }]),
  });
  return { scope: input.scope, operation: probeOperationForScope(input.scope), blockedTimes };
}
