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
}

export const connectionStatusQuery = defineQuery<ConnectionStatus>('connectionStatus');
