/**
 * Contract for the connection workflow (one per seller connection): its ID, signals and
 * queries. Any workflow whose SP-API activity fails AccessDenied reports it here and waits for
 * `reauthorised`; the re-authorisation script (or an operator in the Web UI) signals
 * `reauthorisationCompleted` to the connection workflow, which fans out `reauthorised`.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Scope, SpApiOperation } from '../../domain/scopes';

export const connectionWorkflowId = (connectionId: string): string => `connection:${connectionId}`;

export interface AccessDeniedReport {
  scope: Scope;
  operation: SpApiOperation;
  /** The workflow that is now waiting for re-authorisation. */
  workflowId: string;
  message: string;
}

export interface ReauthorisationCompleted {
  /** Scopes the completion script verified with a probe call. */
  verifiedScopes: Scope[];
  /** Who completed it (operator name or 'script'); no secrets. */
  by: string;
}

/** Sent by a blocked workflow to its connection workflow. */
export const accessDeniedSignal = defineSignal<[AccessDeniedReport]>('accessDenied');
/** Sent by the re-authorisation script (or the Web UI) to the connection workflow. */
export const reauthorisationCompletedSignal = defineSignal<[ReauthorisationCompleted]>('reauthorisationCompleted');
/** Sent by the connection workflow to every workflow waiting on a scope that is verified again. */
export const reauthorisedSignal = defineSignal<[{ scopes: Scope[] }]>('reauthorised');

export interface ConnectionStatus {
  connectionId: string;
  apiKind: 'SP_API' | 'MWS';
  grantedScopes: Scope[];
  blockedScopes: Array<{ scope: Scope; since: string; symptom: string; operations: SpApiOperation[]; waitingWorkflows: string[] }>;
  needsAttention: boolean;
  /** Why it needs attention, one line each in the seller's terms (blocked scopes, MWS, renewal due). */
  attention?: string[];
  /** When the seller's authorisation must be renewed (public apps: 365 days after consent); null when unknown. */
  authorisationExpiresAt?: string | null;
  /** The last re-authorisation the connection workflow verified with its own probes. */
  lastReauthorisation?: { at: string; by: string; restored: Scope[]; stillDenied: Scope[] } | null;
}

export const connectionStatusQuery = defineQuery<ConnectionStatus>('connectionStatus');

// ---------------------------------------------------------------------------------------------
// Starting the connection workflow (activities/auth.ts `ensureConnectionWorkflow` is the one way in).

/** Workflow type of the connection workflow (workflows/connection.ts). */
export const connectionWorkflowType = 'connectionWorkflow';

/** One blocked scope as the connection workflow keeps it (plain JSON, carried across continue-as-new). */
export interface BlockedScopeState {
  scope: Scope;
  since: string;
  symptom: string;
  operations: SpApiOperation[];
  waitingWorkflows: string[];
  /** The last AccessDenied message (safe: no tokens, no PII). */
  message: string;
}

/** The connection workflow's whole state, plain JSON, so continue-as-new carries it unchanged. */
export interface ConnectionSnapshot {
  apiKind: 'SP_API' | 'MWS';
  grantedScopes: Scope[];
  blocked: BlockedScopeState[];
  authorisationExpiresAt: string | null;
  lastReauthorisation: { at: string; by: string; restored: Scope[]; stillDenied: Scope[] } | null;
  /** Scopes restored recently: a late AccessDenied report for one is re-checked with a probe once per workflow. */
  recentlyRestored: Array<{ scope: Scope; at: string; resumedOnProbe: string[] }>;
  /** Signals received but not yet handled when the run continued as new. */
  pendingReports: AccessDeniedReport[];
  pendingReauthorisations: ReauthorisationCompleted[];
}

export interface ConnectionWorkflowInput {
  connectionId: string;
  /** Set by continue-as-new only. */
  carried?: ConnectionSnapshot;
  /** Continue as new once the history has this many events (the server's own suggestion applies regardless). Default 10 000. */
  continueAsNewAfterEvents?: number;
}

/** Sent by the MWS migration when it switches the connection to SP-API (or by an operator). */
export const apiKindChangedSignal = defineSignal<[{ apiKind: 'SP_API' | 'MWS'; by: string }]>('apiKindChanged');

/** Public-app authorisations expire 365 days after consent (sp-api.md §3.4). */
export const AUTHORISATION_LIFETIME_DAYS = 365;
/** NeedsAttention is raised this long before the authorisation expires. */
export const RENEWAL_WARNING_DAYS = 30;
/** Prefix of the schedule pause note the connection workflow writes; it unpauses only schedules carrying it. */
export const ACCESS_PAUSE_NOTE_PREFIX = '[conduit:access]';

// ---------------------------------------------------------------------------------------------
// Re-authorisation: the consent URL's `state` is the business key of both steps.

export const consentRequestWorkflowType = 'consentRequest';
export const completeReauthorisationWorkflowType = 'completeReauthorisation';

/** `consent:<connection>:<state>`: registers the state scripts/consent-url.ts put in the URL. */
export const consentRequestWorkflowId = (connectionId: string, state: string): string => `consent:${connectionId}:${state}`;
/** `reauth:<connection>:<state>`: one completion per consent; a second run with the same state is refused. */
export const completeReauthorisationWorkflowId = (connectionId: string, state: string): string => `reauth:${connectionId}:${state}`;

export interface ConsentRequestInput {
  connectionId: string;
  /** Random, generated by the script; bound to the connection in oauth_states. */
  state: string;
}

export interface ConsentRequestResult {
  region: 'eu' | 'na' | 'fe';
  marketplaceIds: string[];
}

export interface CompleteReauthorisationInput {
  connectionId: string;
  state: string;
  /** The one-time spapi_oauth_code (expires in minutes); reaches only the exchange activity, never a log. */
  code: string;
  by: string;
}

export interface CompleteReauthorisationResult {
  connectionId: string;
  verifiedScopes: Scope[];
  deniedScopes: Scope[];
  /** The connection was being migrated off MWS: its migration workflow was told too. */
  migrating: boolean;
}

// ---------------------------------------------------------------------------------------------
// Scope canary: one SP-API call of a scope under withAccess (an operator's "is it back?" check,
// and the smallest workflow that shows escalation end to end).

export const scopeCanaryWorkflowType = 'scopeCanary';
export const scopeCanaryWorkflowId = (connectionId: string, scope: Scope, runKey: string): string => `scope-canary:${connectionId}:${scope}:${runKey}`;

export interface ScopeCanaryInput {
  connectionId: string;
  scope: Scope;
}

export interface ScopeCanaryResult {
  scope: Scope;
  operation: SpApiOperation;
  /** How many times the call was denied and waited for re-authorisation before it went through. */
  blockedTimes: number;
}
