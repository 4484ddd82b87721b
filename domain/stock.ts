// Channel-specific stock pools: the guide's fix for the FBA/FBM stock pool collision.
// A SKU sold both ways has two pools. FBM units (our warehouse) are the only ones Conduit offers to
// Amazon as merchant-fulfilled quantity; FBA units (Amazon's warehouse) are a read-only mirror of what
// Amazon reports. No FBA movement can touch the FBM pool, so an FBA sale never eats the FBM figure.

import { instantOrThrow, parseInstant, toIso, MINUTE_MS } from './time';

/** Our warehouse stock for one SKU: physically on hand, promised to open FBM orders, and held back from Amazon. */
export type FbmPool = { onHand: number; allocated: number; buffer: number };

/** Amazon's last reported FBA figures for one SKU (Fulfilment Inventory), as of `reportedAt`. */
export type FbaPool = {
  fulfillable: number;
  inbound: number;
  reserved: number;
  unfulfillable: number;
  researching: number;
  /** Amazon's as-of time for these figures (ISO); FBA data lags reality by up to 4–6 hours at peak. */
  reportedAt: string;
};

/** Both pools of one SKU; `fba` is null for SKUs Amazon has never reported as FBA stock. */
export type SkuStock = { sku: string; fbm: FbmPool; fba: FbaPool | null };

/** Which pool a ledger entry belongs to. */
export type StockPoolName = 'FBM' | 'FBA';

/** Why stock moved: counts, order allocation/release/despatch, FBM restock, and the FBA mirror's updates. */
export type MovementKind = 'ADJUST' | 'ALLOCATE' | 'RELEASE' | 'DESPATCH' | 'RETURN_RESTOCK' | 'FBA_REPORT' | 'FBA_RETURN';

/** One stock ledger entry. For the FBA pool, onHandDelta moves `fulfillable` and allocatedDelta moves `reserved`. */
export type StockMovement = {
  sku: string;
  pool: StockPoolName;
  kind: MovementKind;
  onHandDelta: number;
  allocatedDelta: number;
  /** Unique per real-world event (e.g. allocate:<order>:<item>); the ledger stores each key once. */
  idempotencyKey: string;
  reason: string;
};

/** Why a movement was refused; OVERSELL means more units would be promised than are on hand. */
export type MovementRejectionReason = 'INVALID_MOVEMENT' | 'SKU_MISMATCH' | 'NEGATIVE_ON_HAND' | 'NEGATIVE_ALLOCATED' | 'OVERSELL';

/** A refused movement, with an operator-readable message; the stock is unchanged. */
export type MovementRejection = { ok: false; reason: MovementRejectionReason; message: string; movement: StockMovement };

/** Result of applyMovement: the new stock, or why nothing changed. Business rejections never throw. */
export type MovementResult = { ok: true; stock: SkuStock } | MovementRejection;

const FBA_KINDS: readonly MovementKind[] = ['FBA_REPORT', 'FBA_RETURN'];

/** Starting point for a SKU Conduit has just learned about: nothing on hand, nothing at Amazon. */
export function emptySkuStock(sku: string, buffer = 0): SkuStock {
  return { sku, fbm: { onHand: 0, allocated: 0, buffer }, fba: null };
}

/** The quantity Conduit offers to Amazon as merchant-fulfilled: on hand minus allocated minus buffer, never negative, never FBA units. */
export function fbmAvailable(pool: FbmPool): number {
  return Math.max(0, pool.onHand - pool.allocated - pool.buffer);
}

/** Units that can still be promised to new FBM orders (the buffer is a listing margin, not a reservation). */
export function fbmAllocatable(pool: FbmPool): number {
  return Math.max(0, pool.onHand - pool.allocated);
}

function shapeProblem(m: StockMovement): string | null {
  if (!Number.isSafeInteger(m.onHandDelta) || !Number.isSafeInteger(m.allocatedDelta)) return 'deltas must be whole numbers';
  if (m.idempotencyKey.trim() === '') return 'idempotencyKey is empty';
  const fbaKind = FBA_KINDS.includes(m.kind);
  if (fbaKind && m.pool !== 'FBA') return `${m.kind} belongs to the FBA pool`;
  if (!fbaKind && m.pool !== 'FBM') return `${m.kind} belongs to the FBM pool (FBA stock only changes through Amazon's reports and FBA returns)`;
  switch (m.kind) {
    case 'ADJUST':
      return m.allocatedDelta === 0 ? null : 'a stock adjustment changes on-hand only';
    case 'ALLOCATE':
      return m.onHandDelta === 0 && m.allocatedDelta > 0 ? null : 'an allocation adds to allocated and leaves on-hand alone';
    case 'RELEASE':
      return m.onHandDelta === 0 && m.allocatedDelta < 0 ? null : 'a release takes from allocated and leaves on-hand alone';
    case 'DESPATCH':
      return m.onHandDelta < 0 && m.onHandDelta === m.allocatedDelta ? null : 'a despatch takes the same units from on-hand and allocated';
    case 'RETURN_RESTOCK':
      return m.onHandDelta > 0 && m.allocatedDelta === 0 ? null : 'a restock adds to on-hand only';
    case 'FBA_RETURN':
      return m.onHandDelta >= 0 && m.allocatedDelta === 0 ? null : 'an FBA return can only add fulfillable units';
    case 'FBA_REPORT':
      return null;
  }
}

function reject(reason: MovementRejectionReason, message: string, movement: StockMovement): MovementRejection {
  return { ok: false, reason, message, movement };
}

/** Placeholder as-of time for an FBA pool built from ledger deltas before any report was read. */
export const NEVER_REPORTED = '1970-01-01T00:00:00.000Z';

/** Apply one ledger entry to a SKU's pools; refuses (never throws) anything that would go negative or oversell. */
export function applyMovement(stock: SkuStock, movement: StockMovement): MovementResult {
  if (movement.sku !== stock.sku) {
    return reject('SKU_MISMATCH', `Movement ${movement.idempotencyKey} is for SKU ${JSON.stringify(movement.sku)}, not ${JSON.stringify(stock.sku)}`, movement);
  }
  const problem = shapeProblem(movement);
  if (problem) return reject('INVALID_MOVEMENT', `Movement ${movement.idempotencyKey} (${movement.kind}): ${problem}`, movement);

  if (movement.pool === 'FBA') {
    const fba = stock.fba ?? { fulfillable: 0, inbound: 0, reserved: 0, unfulfillable: 0, researching: 0, reportedAt: NEVER_REPORTED };
    const fulfillable = fba.fulfillable + movement.onHandDelta;
    const reserved = fba.reserved + movement.allocatedDelta;
    if (fulfillable < 0) return reject('NEGATIVE_ON_HAND', `FBA fulfillable for ${stock.sku} would be ${fulfillable}`, movement);
    if (reserved < 0) return reject('NEGATIVE_ALLOCATED', `FBA reserved for ${stock.sku} would be ${reserved}`, movement);
    return { ok: true, stock: { ...stock, fba: { ...fba, fulfillable, reserved } } };
  }

  const onHand = stock.fbm.onHand + movement.onHandDelta;
  const allocated = stock.fbm.allocated + movement.allocatedDelta;
  if (onHand < 0) {
    return reject('NEGATIVE_ON_HAND', `${stock.sku}: on hand would be ${onHand} (have ${stock.fbm.onHand}, change ${movement.onHandDelta}); count the stock and adjust`, movement);
  }
  if (allocated < 0) {
    return reject('NEGATIVE_ALLOCATED', `${stock.sku}: allocated would be ${allocated}; releasing or despatching more than was allocated`, movement);
  }
  if (allocated > onHand) {
    return reject('OVERSELL', `${stock.sku}: ${allocated} units would be promised to FBM orders with only ${onHand} on hand; release or cancel orders before reducing stock`, movement);
  }
  return { ok: true, stock: { ...stock, fbm: { ...stock.fbm, onHand, allocated } } };
}

/** Apply a batch all-or-nothing, skipping repeats of an idempotency key inside the batch; stops at the first rejection. */
export function applyMovements(stock: SkuStock, movements: readonly StockMovement[]): MovementResult {
  const seen = Object.create(null) as Record<string, true>;
  let current = stock;
  for (const movement of movements) {
    if (seen[movement.idempotencyKey]) continue;
    seen[movement.idempotencyKey] = true;
    const result = applyMovement(current, movement);
    if (!result.ok) return result;
    current = result.stock;
  }
  return { ok: true, stock: current };
}

/** One FBM order line as the stock rules need it. */
export type OrderLine = { orderItemId: string; sku: string; quantity: number };

/** A SKU an FBM order cannot be fully allocated for: what was asked and what could be promised. */
export type Shortfall = { sku: string; requested: number; allocatable: number };

/** Allocation outcome: every line's ALLOCATE movement, or the shortfalls (and nothing allocated). */
export type AllocationResult = { ok: true; movements: StockMovement[] } | { ok: false; shortfalls: Shortfall[] };

function checkQuantity(line: OrderLine): void {
  if (!Number.isSafeInteger(line.quantity) || line.quantity < 0) {
    throw new Error(`Order line ${line.orderItemId} has quantity ${line.quantity}; expected a whole number ≥ 0`);
  }
}

/** All-or-nothing allocation of an FBM order from the FBM pools (keyed by SKU); any shortfall is named per SKU and nothing is allocated. */
export function allocationFor(amazonOrderId: string, lines: readonly OrderLine[], pools: Readonly<Record<string, FbmPool>>): AllocationResult {
  const requested: Record<string, number> = {};
  const skuOrder: string[] = [];
  for (const line of lines) {
    checkQuantity(line);
    if (line.quantity === 0) continue;
    if (requested[line.sku] === undefined) skuOrder.push(line.sku);
    requested[line.sku] = (requested[line.sku] ?? 0) + line.quantity;
  }
  const shortfalls: Shortfall[] = [];
  for (const sku of skuOrder) {
    const want = requested[sku] ?? 0;
    const pool = Object.prototype.hasOwnProperty.call(pools, sku) ? pools[sku] : undefined;
    const allocatable = pool ? fbmAllocatable(pool) : 0;
    if (want > allocatable) shortfalls.push({ sku, requested: want, allocatable });
  }
  if (shortfalls.length > 0) return { ok: false, shortfalls };
  const movements = lines
    .filter((line) => line.quantity > 0)
    .map((line): StockMovement => ({
      sku: line.sku,
      pool: 'FBM',
      kind: 'ALLOCATE',
      onHandDelta: 0,
      allocatedDelta: line.quantity,
      idempotencyKey: `allocate:${amazonOrderId}:${line.orderItemId}`,
      reason: `FBM order ${amazonOrderId} item ${line.orderItemId}`,
    }));
  return { ok: true, movements };
}

/** RELEASE movements that give an FBM order's allocated units back (cancellation, or re-routing). */
export function releaseFor(amazonOrderId: string, lines: readonly OrderLine[], why = 'order cancelled'): StockMovement[] {
  return lines
    .filter((line) => (checkQuantity(line), line.quantity > 0))
    .map((line): StockMovement => ({
      sku: line.sku,
      pool: 'FBM',
      kind: 'RELEASE',
      onHandDelta: 0,
      allocatedDelta: -line.quantity,
      idempotencyKey: `release:${amazonOrderId}:${line.orderItemId}`,
      reason: `${why}: FBM order ${amazonOrderId} item ${line.orderItemId}`,
    }));
}

/** DESPATCH movements for one package: the units leave the building (on hand −q) and stop being promised (allocated −q). */
export function despatchFor(amazonOrderId: string, packageReferenceId: string, lines: readonly OrderLine[]): StockMovement[] {
  return lines
    .filter((line) => (checkQuantity(line), line.quantity > 0))
    .map((line): StockMovement => ({
      sku: line.sku,
      pool: 'FBM',
      kind: 'DESPATCH',
      onHandDelta: -line.quantity,
      allocatedDelta: -line.quantity,
      idempotencyKey: `despatch:${amazonOrderId}:${packageReferenceId}:${line.orderItemId}`,
      reason: `FBM order ${amazonOrderId} package ${packageReferenceId} item ${line.orderItemId}`,
    }));
}

/** A RETURN_RESTOCK movement putting inspected, sellable FBM returns back on the shelf (Amazon sends no stock-back signal). */
export function restockFor(returned: { sku: string; quantity: number; idempotencyKey: string; reason?: string }): StockMovement {
  if (!Number.isSafeInteger(returned.quantity) || returned.quantity <= 0) {
    throw new Error(`Restock of ${returned.sku} needs a whole quantity ≥ 1, got ${returned.quantity}`);
  }
  return {
    sku: returned.sku,
    pool: 'FBM',
    kind: 'RETURN_RESTOCK',
    onHandDelta: returned.quantity,
    allocatedDelta: 0,
    idempotencyKey: returned.idempotencyKey,
    reason: returned.reason ?? 'FBM return restocked',
  };
}

/** The FBA part of a getInventorySummaries summary (details=true), in the model's field names. */
export type FbaInventorySummary = {
  sellerSku?: string;
  lastUpdatedTime?: string;
  totalQuantity?: number;
  inventoryDetails?: {
    fulfillableQuantity?: number;
    inboundWorkingQuantity?: number;
    inboundShippedQuantity?: number;
    inboundReceivingQuantity?: number;
    reservedQuantity?: { totalReservedQuantity?: number };
    researchingQuantity?: { totalResearchingQuantity?: number };
    unfulfillableQuantity?: { totalUnfulfillableQuantity?: number };
  };
};

/** Amazon's FBA summary as an FbaPool; null without inventoryDetails (call with details=true). As-of is Amazon's lastUpdatedTime when sane, else when it was fetched. */
export function fbaPoolFromSummary(summary: FbaInventorySummary, fetchedAt: string): FbaPool | null {
  const d = summary.inventoryDetails;
  if (!d) return null;
  const fetchedMs = instantOrThrow(fetchedAt, 'fetchedAt');
  const updatedMs = summary.lastUpdatedTime ? parseInstant(summary.lastUpdatedTime) : null;
  const reportedAt = toIso(updatedMs !== null && updatedMs <= fetchedMs ? updatedMs : fetchedMs);
  const n = (x: number | undefined): number => (typeof x === 'number' && Number.isFinite(x) && x > 0 ? Math.floor(x) : 0);
  return {
    fulfillable: n(d.fulfillableQuantity),
    inbound: n(d.inboundWorkingQuantity) + n(d.inboundShippedQuantity) + n(d.inboundReceivingQuantity),
    reserved: n(d.reservedQuantity?.totalReservedQuantity),
    unfulfillable: n(d.unfulfillableQuantity?.totalUnfulfillableQuantity),
    researching: n(d.researchingQuantity?.totalResearchingQuantity),
    reportedAt,
  };
}

/** Result of recording a fresh FBA report: the ledger entry (deltas of fulfillable/reserved) and the new stock; stale reports are ignored. */
export type FbaReportResult = { recorded: true; stock: SkuStock; movement: StockMovement } | { recorded: false; reason: 'STALE_REPORT' };

/** Replace the FBA mirror with Amazon's newer report; the FBM pool is never touched. */
export function recordFbaReport(stock: SkuStock, report: FbaPool, idempotencyKey: string): FbaReportResult {
  const previous = stock.fba;
  if (previous && instantOrThrow(report.reportedAt, 'report.reportedAt') < instantOrThrow(previous.reportedAt, 'previous.reportedAt')) {
    return { recorded: false, reason: 'STALE_REPORT' };
  }
  const movement: StockMovement = {
    sku: stock.sku,
    pool: 'FBA',
    kind: 'FBA_REPORT',
    onHandDelta: report.fulfillable - (previous?.fulfillable ?? 0),
    allocatedDelta: report.reserved - (previous?.reserved ?? 0),
    idempotencyKey,
    reason: `Amazon FBA report as of ${report.reportedAt}`,
  };
  return { recorded: true, stock: { ...stock, fba: { ...report } }, movement };
}

/** Minutes after which an FBA figure is flagged as lagging: the guide's 4–6 hour peak lag starts at 4 hours. */
export const FBA_LAG_WARNING_MINUTES = 240;

/** FBA units sold since a report, as recorded by Conduit's order download. */
export type FbaOrderedUnits = { quantity: number; orderedAt: string };

/** Lag-aware FBA estimate: what Amazon last said, less what has sold since, and how old that figure is. */
export type FbaEstimate = {
  estimatedFulfillable: number;
  reportedFulfillable: number;
  unitsOrderedSinceReport: number;
  reportedAt: string;
  ageMinutes: number;
  /** True once the figure is older than FBA_LAG_WARNING_MINUTES: don't base a restock decision on it alone. */
  lagging: boolean;
};

/** Estimate FBA fulfillable now: the last report's fulfillable minus FBA units ordered after its as-of time, never negative. */
export function fbaEstimate(lastReport: FbaPool, fbaOrdersSinceReport: readonly FbaOrderedUnits[], now: string): FbaEstimate {
  const reportedMs = instantOrThrow(lastReport.reportedAt, 'lastReport.reportedAt');
  const nowMs = instantOrThrow(now, 'now');
  // Orders at or before the as-of time are already inside Amazon's figure (as reserved units).
  const unitsOrderedSinceReport = fbaOrdersSinceReport
    .filter((o) => instantOrThrow(o.orderedAt, 'orderedAt') > reportedMs)
    .reduce((sum, o) => sum + Math.max(0, o.quantity), 0);
  const ageMinutes = Math.max(0, Math.floor((nowMs - reportedMs) / MINUTE_MS));
  return {
    estimatedFulfillable: Math.max(0, lastReport.fulfillable - unitsOrderedSinceReport),
    reportedFulfillable: lastReport.fulfillable,
    unitsOrderedSinceReport,
    reportedAt: lastReport.reportedAt,
    ageMinutes,
    lagging: ageMinutes >= FBA_LAG_WARNING_MINUTES,
  };
}

/** Whether an FBM quantity push would change Amazon's figure; unchanged quantities are skipped to save rate budget. */
export function shouldPush(lastPushedQuantity: number | null, newQuantity: number): boolean {
  if (!Number.isSafeInteger(newQuantity) || newQuantity < 0) {
    throw new Error(`FBM quantity to push must be a whole number ≥ 0, got ${newQuantity}`);
  }
  return lastPushedQuantity === null || lastPushedQuantity !== newQuantity;
}
