/**
 * Every per-connection Temporal Schedule, named once: its ID (readable in the Web UI), the
 * scope it needs (so the connection workflow pauses exactly the schedules a blocked scope
 * breaks), and the workflow type it starts.
 */
import type { Scope } from '../../domain/scopes';

export type ScheduleKind = 'order-download' | 'fba-sync' | 'reconcile' | 'listing-feed' | 'returns-pickup' | 'pii-purge';

export const scheduleId = (kind: ScheduleKind, connectionId: string): string => `${kind}:${connectionId}`;

/** The scope a schedule's work depends on; null for work that calls no SP-API operation. */
export const scheduleScope: Readonly<Record<ScheduleKind, Scope | null>> = {
  'order-download': 'SELLING_PARTNER_INSIGHTS',
  'fba-sync': 'FULFILMENT_INVENTORY',
  reconcile: 'FEEDS',
  'listing-feed': 'FEEDS',
  'returns-pickup': 'SELLING_PARTNER_INSIGHTS',
  'pii-purge': null,
};

/** Schedules to pause when `scope` is blocked. */
export function schedulesForScope(scope: Scope): ScheduleKind[] {
  return (Object.keys(scheduleScope) as ScheduleKind[]).filter((k) => scheduleScope[k] === scope);
}
