/**
 * Contract for the pre-launch checklist (the guide's 8 points): scripts/checklist.ts runs the
 * `preLaunchChecklist` workflow, which gathers facts from the live connection with activities
 * and evaluates them with domain/checklist.ts.
 */
import type { ChecklistFacts, ChecklistItem } from '../../domain/checklist';
import type { DailyWindow } from '../../domain/schedule';

export const checklistWorkflowType = 'preLaunchChecklist';

/** `checklist:<connection>`: one run at a time per connection (a second script run attaches to it). */
export const checklistWorkflowId = (connectionId: string): string => `checklist:${connectionId}`;

export interface ChecklistInput {
  connectionId: string;
  /** Record that the operations team has read the FBA lag note (item 8) before checking. */
  acknowledgeFbaLag?: { by: string };
  /** UK peak trading hours the bulk feed window must avoid (item 7). */
  peakHours: DailyWindow;
  /** How often Conduit syncs inventory, in minutes (item 7's collision estimate). */
  stockSyncIntervalMinutes: number;
}

export interface ChecklistReport {
  connectionId: string;
  sellerId: string;
  marketplaceIds: string[];
  facts: ChecklistFacts;
  items: ChecklistItem[];
  ready: boolean;
  /** FBM SKUs in stock, for placing a test order in the simulator. */
  fbmSkus: string[];
  /** What could not be read live, e.g. the listings report while Feeds is denied (the affected item fails). */
  notes: string[];
}
