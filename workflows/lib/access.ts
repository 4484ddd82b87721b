/**
 * Runs an SP-API step so that AccessDenied stops the work visibly instead of being retried:
 * the workflow reports the missing scope to its connection workflow, marks itself
 * needs-attention, waits durably for `reauthorised`, then runs the same step again. Nothing is
 * lost: the step's inputs are in the workflow's state.
 *
 * Call `installReauthorisationHandler()` before the first await of a workflow that uses this.
 */
import { ActivityFailure, ApplicationFailure, condition, getExternalWorkflowHandle, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Scope, SpApiOperation } from '../../domain/scopes';
import { accessDeniedSignal, connectionWorkflowId, reauthorisedSignal } from '../contracts/connection';

const reauthorisedScopes = new Set<Scope>();
let generation = 0;

/** Registers the `reauthorised` signal handler; idempotent. */
export function installReauthorisationHandler(): void {
  setHandler(reauthorisedSignal, ({ scopes }) => {
    for (const s of scopes) reauthorisedScopes.add(s);
    generation++;
  });
}

/** The SP-API error details an activity attached to its ApplicationFailure, if any. */
export function spApiFailure(err: unknown): { type: string; scope?: Scope; operation?: SpApiOperation; message: string } | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (!(cause instanceof ApplicationFailure) || !cause.type) return undefined;
  const details = (cause.details?.[0] ?? {}) as { scope?: Scope; operation?: SpApiOperation };
  return { type: cause.type, scope: details.scope, operation: details.operation, message: cause.message };
}

export interface AccessHooks {
  /** Called when the step is blocked (e.g. set NeedsAttention and the reason). */
  onBlocked?(scope: Scope, operation: SpApiOperation | undefined): void;
  /** Called when re-authorisation arrives and the step is about to run again. */
  onResumed?(scope: Scope): void;
}

/** Runs `step`; on AccessDenied escalates and waits for re-authorisation, then retries the step. */
export async function withAccess<T>(connectionId: string, step: () => Promise<T>, hooks: AccessHooks = {}): Promise<T> {
  for (;;) {
    try {
      return await step();
    } catch (err) {
      const failure = spApiFailure(err);
      if (failure?.type !== 'AccessDenied' || !failure.scope) throw err;
      const scope = failure.scope;
      reauthorisedScopes.delete(scope);
      // Taken before signalling: the connection workflow may answer `reauthorised` in the same activation that resolves the signal.
      const seen = generation;
      hooks.onBlocked?.(scope, failure.operation);
      await getExternalWorkflowHandle(connectionWorkflowId(connectionId)).signal(accessDeniedSignal, {
        scope,
        operation: failure.operation ?? 'searchOrders',
        workflowId: workflowInfo().workflowId,
        message: failure.message,
      });
      await condition(() => generation > seen && reauthorisedScopes.has(scope));
      hooks.onResumed?.(scope);
    }
  }
}
