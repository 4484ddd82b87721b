/**
 * NeedsAttention for the stock workflows. Conduit's search attributes are set only on workflows a
 * starter indexed with ConduitConnection (requestStockPush, the schedules, the returns pickup):
 * that is how a workflow knows the attributes are registered on its server.
 */
import { log, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Scope } from '../../domain/scopes';
import { ConnectionKey, NeedsAttentionKey } from '../contracts/search-attributes';
import type { AccessHooks } from '../lib/access';

/** True when the starter indexed this workflow with Conduit's search attributes. */
export const indexed = (): boolean => workflowInfo().typedSearchAttributes.get(ConnectionKey) !== undefined;

/** Sets or clears NeedsAttention (when indexed); the reason itself stays in the workflow's query/result. */
export function flagAttention(on: boolean): void {
  if (indexed()) upsertSearchAttributes([{ key: NeedsAttentionKey, value: on }]);
}

/** withAccess hooks that flag the workflow while a scope is blocked and clear it on re-authorisation. */
export function accessAttentionHooks(what: string, onReason?: (reason: string | null) => void): AccessHooks {
  return {
    onBlocked(scope: Scope) {
      const reason = `${what} blocked: Amazon refused scope ${scope}; waiting for re-authorisation`;
      log.warn(reason);
      onReason?.(reason);
      flagAttention(true);
    },
    onResumed() {
      onReason?.(null);
      flagAttention(false);
    },
  };
}
