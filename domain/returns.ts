// Returns and stock reinstatement. Amazon sends no stock-back signal for returns, so without this every
// return quietly understates warehouse stock. FBM returns are inspected in the warehouse and, if
// sellable, restocked into the FBM pool; FBA returns are Amazon's to inspect and are only recorded
// against the FBA mirror — a returned FBA unit is never offered as FBM stock.

import { restockFor, type StockMovement } from './stock';
import { instantOrThrow } from './time';

/** The condition a returned unit was graded as (the warehouse's inspection for FBM, Amazon's detailed-disposition for FBA). */
export type ReturnCondition =
  | 'SELLABLE'
  | 'DAMAGED'
  | 'DEFECTIVE'
  | 'CUSTOMER_DAMAGED'
  | 'CARRIER_DAMAGED'
  | 'WAREHOUSE_DAMAGED'
  | 'DISTRIBUTOR_DAMAGED'
  | 'EXPIRED';

/** A customer return of one SKU from one order. `condition` is null until inspected (FBM) or graded by Amazon (FBA). */
export type ReturnedItem = {
  returnId: string;
  route: 'FBA' | 'FBM';
  amazonOrderId: string;
  sku: string;
  quantity: number;
  /** When the parcel reached the warehouse (FBM) or Amazon (FBA); null while in transit. */
  receivedAt: string | null;
  condition: ReturnCondition | null;
};

/** What to do with a return: put it back on sale, write it off, or wait for inspection. */
export type ReturnDecision = 'RESTOCK' | 'DISPOSE' | 'AWAIT_INSPECTION';

/** Idempotency key for a return's stock movement, so a re-read returns report never restocks twice. */
export function returnIdempotencyKey(returnId: string): string {
  if (returnId.trim() === '') throw new Error('returnId is empty');
  return `return:${returnId}`;
}

/** A stable returnId for an FBM return: Amazon's RMA id. */
export function fbmReturnId(amazonRmaId: string): string {
  if (amazonRmaId.trim() === '') throw new Error('Amazon RMA id is empty');
  return `fbm:${amazonRmaId.trim()}`;
}

/** A stable returnId for an FBA customer-returns report row (the licence plate number identifies the returned unit; return date otherwise). */
export function fbaReturnId(row: { amazonOrderId: string; sku: string; licensePlateNumber?: string; returnDate: string }): string {
  const unit = row.licensePlateNumber?.trim() || row.returnDate;
  return `fba:${row.amazonOrderId}:${row.sku}:${unit}`;
}

/** Restock sellable units, dispose of anything else, and wait while an FBM return is not yet inspected; Amazon grades FBA returns itself. */
export function decideReturn(item: ReturnedItem): ReturnDecision {
  if (item.condition === null) return 'AWAIT_INSPECTION';
  return item.condition === 'SELLABLE' ? 'RESTOCK' : 'DISPOSE';
}

/**
 * Ledger entries for a decided return. FBM + RESTOCK → one RETURN_RESTOCK into the FBM pool. FBA → one
 * FBA_RETURN against the FBA pool only (sellable units back to fulfillable, others recorded with no
 * quantity change). FBM disposals and undecided returns move nothing.
 */
export function returnMovements(item: ReturnedItem, decision: ReturnDecision): StockMovement[] {
  if (!Number.isSafeInteger(item.quantity) || item.quantity <= 0) throw new Error(`Return ${item.returnId} has quantity ${item.quantity}`);
  const key = returnIdempotencyKey(item.returnId);
  if (decision === 'AWAIT_INSPECTION') return [];
  if (item.route === 'FBA') {
    return [
      {
        sku: item.sku,
        pool: 'FBA',
        kind: 'FBA_RETURN',
        onHandDelta: decision === 'RESTOCK' ? item.quantity : 0,
        allocatedDelta: 0,
        idempotencyKey: key,
        reason: `FBA return ${item.returnId} of order ${item.amazonOrderId}: ${item.condition ?? 'ungraded'} (${decision === 'RESTOCK' ? 'back to fulfillable' : 'not sellable'})`,
      },
    ];
  }
  if (decision === 'DISPOSE') return [];
  return [restockFor({ sku: item.sku, quantity: item.quantity, idempotencyKey: key, reason: `FBM return ${item.returnId} of order ${item.amazonOrderId} inspected sellable` })];
}

/** Hours an FBM return may sit received-but-uninspected before an operator is told: stock on the shelf that Amazon can't see. */
export const INSPECTION_TIMEOUT_HOURS = 48;

/** Whether a received FBM return has waited too long for inspection, how long, and what to tell the operator. */
export type InspectionEscalation = { escalate: boolean; hoursWaiting: number; message: string };

/** Escalate FBM returns received more than `timeoutHours` ago and still not inspected; FBA returns and parcels in transit never escalate. */
export function inspectionEscalation(item: ReturnedItem, now: string, timeoutHours: number = INSPECTION_TIMEOUT_HOURS): InspectionEscalation {
  if (item.route !== 'FBM' || item.receivedAt === null || item.condition !== null) {
    return { escalate: false, hoursWaiting: 0, message: '' };
  }
  const hoursWaiting = Math.max(0, Math.floor((instantOrThrow(now, 'now') - instantOrThrow(item.receivedAt, 'receivedAt')) / 3_600_000));
  const escalate = hoursWaiting >= timeoutHours;
  return {
    escalate,
    hoursWaiting,
    message: escalate
      ? `Return ${item.returnId} (${item.quantity} × ${item.sku}, order ${item.amazonOrderId}) was received ${hoursWaiting} h ago and is still not inspected. ` +
        'Inspect it and record SELLABLE to restock it, or a damage grade to write it off; until then these units are not offered on Amazon.'
      : '',
  };
}
