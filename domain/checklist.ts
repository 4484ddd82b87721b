// The guide's 8-point pre-launch checklist as pure rules over facts gathered by activities (scope
// probes, listings report, settings, the end-to-end test order). Each failed check says what is wrong
// in the seller's terms and the exact Conduit command that fixes or re-checks it.

import { SCOPES, scopeDisplayName, symptomForScope, rolesForScope, type Scope } from './scopes';
import { compareCatalogues, showSku } from './sku';
import type { DownloadRules, FulfillmentStatus } from './routing';
import { overlaps, describeWindow, type DailyWindow } from './schedule';
import { FBA_LAG_WARNING_MINUTES } from './stock';

/** Everything the checklist needs to know about one Amazon connection, as plain data. */
export type ChecklistFacts = {
  connectionId: string;
  /** Scopes whose probe call succeeded, and scopes whose probe returned AccessDenied (403 Unauthorized). */
  scopes: { granted: Scope[]; blocked: Scope[] };
  /** Conduit item SKUs and the Seller SKUs of every active Amazon listing. */
  catalogue: { conduitSkus: string[]; amazonSkus: string[] };
  /** SKUs listed both as FBA and FBM. */
  hybridSkus: string[];
  /** Whether channel-specific stock pools (separate FBM and FBA figures) are in force. */
  separateStockPools: boolean;
  downloadRules: DownloadRules;
  apiKind: 'SP_API' | 'MWS';
  /** The last end-to-end test FBM order, as Conduit and Amazon each see it; null if none was placed. */
  endToEndTestOrder: { amazonOrderId: string; despatchedInConduit: boolean; amazonFulfillmentStatus: FulfillmentStatus | null } | null;
  /** Bulk feed window (null = feeds may run any time) and whether FBM stock pushes pause while a feed is queued or running. */
  feedSchedule: { window: DailyWindow | null; stockSyncPausedDuringFeeds: boolean };
  stockSyncIntervalMinutes: number;
  peakHours: DailyWindow;
  /** The operations team has acknowledged the 4–6 hour FBA data lag. */
  fbaLagAcknowledged: boolean;
};

/** One checklist line: whether it passed, what was found, and (if it failed) exactly what to do. */
export type ChecklistItem = { id: 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8; title: string; passed: boolean; detail: string; fix: string | null };

/**
 * The Conduit commands the checklist tells operators to run: real `npm run conduit` verbs
 * (scripts/conduit.ts). `<id>` is the connection id, filled in by the checklist.
 */
export const CONDUIT_COMMANDS = {
  reauthorise: 'npm run conduit -- reauth url --connection <id>',
  probeScopes: 'npm run conduit -- checklist --connection <id>',
  reconcileSkus: 'npm run conduit -- reconcile --connection <id> --report-only',
  separatePools: 'npm run conduit -- schedules trigger --kind fba-sync --connection <id>',
  resetRouting: 'npm run conduit -- connection reset-routing --connection <id>',
  migrateFromMws: 'npm run conduit -- migrate-mws --connection <id>',
  testOrder: 'npm run conduit -- checklist --connection <id> --place-test-order',
  scheduleFeeds: 'npm run conduit -- listings schedule --connection <id> --window 22-06',
  acknowledgeFbaLag: 'npm run conduit -- checklist --connection <id> --acknowledge-fba-lag',
} as const;

/** A checklist command with the connection id filled in. */
export function conduitCommand(name: keyof typeof CONDUIT_COMMANDS, connectionId: string): string {
  return CONDUIT_COMMANDS[name].replaceAll('<id>', connectionId);
}

/** Catalogues at or above this size need feeds staggered from stock sync (the guide's DIY limit is < 500 SKUs). */
export const LARGE_CATALOGUE_SKUS = 500;
/** Worst case the guide gives for a feed holding up an inventory update. */
export const FEED_STALL_MINUTES = 90;

const list = (items: readonly string[], max = 5): string =>
  items.slice(0, max).join(', ') + (items.length > max ? ` and ${items.length - max} more` : '');

function checkScopes(f: ChecklistFacts): ChecklistItem {
  const missing = SCOPES.filter((s) => !f.scopes.granted.includes(s) || f.scopes.blocked.includes(s));
  const passed = missing.length === 0;
  return {
    id: 1,
    title: 'SP-API scopes verified',
    passed,
    detail: passed
      ? 'All four scopes answered their probe call: Selling Partner Insights, Fulfilment Inventory, Orders, Feeds.'
      : missing.map((s) => `${scopeDisplayName(s)} is missing (${symptomForScope(s)}; granted by role ${rolesForScope(s).join(' or ')})`).join('. ') + '.',
    fix: passed
      ? null
      : `Re-authorise the existing connection — do not create a new one: run \`${conduitCommand('reauthorise', f.connectionId)}\`, grant every role on Seller Central's consent screen, then run \`${conduitCommand('probeScopes', f.connectionId)}\`.`,
  };
}

function checkSkus(f: ChecklistFacts): ChecklistItem {
  const { amazonSkus, conduitSkus } = f.catalogue;
  const fix = `Run \`${conduitCommand('reconcileSkus', f.connectionId)}\` for the full list, make each Seller SKU and Conduit item SKU identical (case-sensitive, no stray spaces), then run it again.`;
  if (amazonSkus.length === 0) {
    return { id: 2, title: 'SKU match verified', passed: false, detail: 'No Amazon listings have been read yet, so nothing was compared.', fix };
  }
  const c = compareCatalogues(conduitSkus, amazonSkus);
  const passed = c.nearMisses.length === 0 && c.onlyOnAmazon.length === 0;
  const parts = [`${c.exact.length} of ${new Set(amazonSkus).size} Amazon SKUs match exactly.`];
  if (c.nearMisses.length > 0) {
    parts.push(
      `${c.nearMisses.length} near-miss(es), which Conduit will not map: ` +
        list(c.nearMisses.map((n) => `Amazon ${showSku(n.amazonSku)} vs Conduit ${showSku(n.conduitSku)} (${n.differences.join(', ')})`)) + '.',
    );
  }
  if (c.onlyOnAmazon.length > 0) {
    parts.push(`${c.onlyOnAmazon.length} listed on Amazon with no Conduit item (their orders will stop as unknown SKUs): ${list(c.onlyOnAmazon.map(showSku))}.`);
  }
  return { id: 2, title: 'SKU match verified', passed, detail: parts.join(' '), fix: passed ? null : fix };
}

function checkPools(f: ChecklistFacts): ChecklistItem {
  const passed = f.hybridSkus.length === 0 || f.separateStockPools;
  return {
    id: 3,
    title: 'Channel-specific stock pools in force',
    passed,
    detail:
      f.hybridSkus.length === 0
        ? 'No SKU is listed as both FBA and FBM.'
        : f.separateStockPools
          ? `${f.hybridSkus.length} hybrid SKU(s) keep separate FBM and FBA figures.`
          : `${f.hybridSkus.length} SKU(s) are listed as both FBA and FBM but share one stock figure, so FBA sales can deplete the FBM quantity offered on Amazon (oversell risk): ${list(f.hybridSkus.map(showSku))}.`,
    fix: passed ? null : `Run \`${conduitCommand('separatePools', f.connectionId)}\`, then check that each hybrid SKU shows separate FBM and FBA figures.`,
  };
}

/** Problems with a set of download rules, in the seller's terms; empty when FBA and FBM are routed correctly. */
export function routingProblems(rules: DownloadRules): string[] {
  const problems: string[] = [];
  const fbm = rules.fbmStatuses as readonly string[];
  if (!fbm.includes('UNSHIPPED')) problems.push('FBM orders in Unshipped status are not downloaded, so the warehouse never sees orders that are ready to ship');
  if (!fbm.includes('PARTIALLY_SHIPPED')) problems.push('partly shipped FBM orders are not downloaded, so their remaining items are never despatched');
  const already = fbm.filter((s) => s === 'SHIPPED' || s === 'CANCELLED');
  if (already.length > 0) problems.push(`FBM orders in ${already.join('/')} status are downloaded as new work, which would allocate stock for orders that need none`);
  if (rules.fbaStatuses !== 'ALL' && rules.fbaStatuses.length === 0) problems.push('FBA orders are not downloaded at all; they should be recorded (with no despatch) so sales and FBA stock estimates stay complete');
  return problems;
}

function checkRouting(f: ChecklistFacts): ChecklistItem {
  const problems = routingProblems(f.downloadRules);
  const passed = problems.length === 0;
  return {
    id: 4,
    title: 'FBA vs FBM routing confirmed',
    passed,
    detail: passed
      ? `FBM orders in ${f.downloadRules.fbmStatuses.join(', ')} go to the warehouse; FBA orders (${f.downloadRules.fbaStatuses === 'ALL' ? 'all statuses' : f.downloadRules.fbaStatuses.join(', ')}) are recorded with no despatch.`
      : problems.map((p) => p[0]!.toUpperCase() + p.slice(1)).join('. ') + '.',
    fix: passed ? null : `Run \`${conduitCommand('resetRouting', f.connectionId)}\` to restore the default (FBM Unshipped and Partially shipped to the warehouse, every FBA order recorded only).`,
  };
}

function checkApi(f: ChecklistFacts): ChecklistItem {
  const passed = f.apiKind === 'SP_API';
  return {
    id: 5,
    title: 'MWS legacy check',
    passed,
    detail: passed
      ? 'The connection uses SP-API.'
      : 'The connection still uses the retired MWS API: expect orders to arrive hours late with no error anywhere.',
    fix: passed ? null : `Run \`${conduitCommand('migrateFromMws', f.connectionId)}\`: it disconnects and re-authorises from scratch via SP-API. Do not try to patch the legacy connection.`,
  };
}

function checkTestOrder(f: ChecklistFacts): ChecklistItem {
  const order = f.endToEndTestOrder;
  const fix = `Run \`${conduitCommand('testOrder', f.connectionId)}\`: place a test FBM order, despatch it with real tracking, and wait for Seller Central to show it Shipped.`;
  if (order === null) {
    return { id: 6, title: 'Test FBM order placed end to end', passed: false, detail: 'No end-to-end test FBM order has been placed.', fix };
  }
  const passed = order.amazonFulfillmentStatus === 'SHIPPED';
  const detail = passed
    ? `Test order ${order.amazonOrderId} shows Shipped in Seller Central.`
    : order.despatchedInConduit
      ? `Test order ${order.amazonOrderId} is despatched in Conduit but Amazon shows it ${order.amazonFulfillmentStatus ?? 'unknown'}, not Shipped: the tracking push did not land (check the Orders scope).`
      : `Test order ${order.amazonOrderId} has not been despatched yet (Amazon shows ${order.amazonFulfillmentStatus ?? 'unknown'}).`;
  return { id: 6, title: 'Test FBM order placed end to end', passed, detail, fix: passed ? null : fix };
}

function checkFeedSchedule(f: ChecklistFacts): ChecklistItem {
  const { window, stockSyncPausedDuringFeeds } = f.feedSchedule;
  const large = new Set(f.catalogue.conduitSkus).size >= LARGE_CATALOGUE_SKUS;
  const problems: string[] = [];
  if (window === null) problems.push('Bulk feeds have no schedule and may run during trading hours');
  else if (overlaps(window, f.peakHours)) problems.push(`The feed window ${describeWindow(window)} overlaps peak hours ${describeWindow(f.peakHours)}`);
  if (large && !stockSyncPausedDuringFeeds) {
    const pushes = Math.ceil(FEED_STALL_MINUTES / Math.max(1, f.stockSyncIntervalMinutes));
    problems.push(
      `With ${LARGE_CATALOGUE_SKUS}+ SKUs, stock sync (every ${f.stockSyncIntervalMinutes} min) keeps pushing while a feed runs; Amazon's feed queue can hold those updates for up to ${FEED_STALL_MINUTES} min (about ${pushes} sync runs)`,
    );
  }
  const passed = problems.length === 0;
  return {
    id: 7,
    title: 'Bulk feed scheduling reviewed',
    passed,
    detail: passed
      ? `Bulk feeds run ${window ? describeWindow(window) : ''}, outside peak hours${stockSyncPausedDuringFeeds ? ', with stock sync paused while a feed runs' : ''}.`
      : problems.join('. ') + '.',
    fix: passed ? null : `Run \`${conduitCommand('scheduleFeeds', f.connectionId)}\` (feeds 22:00–06:00 UK, stock pushes held while a feed is queued or running).`,
  };
}

function checkFbaLag(f: ChecklistFacts): ChecklistItem {
  const passed = f.fbaLagAcknowledged;
  return {
    id: 8,
    title: 'FBA restock lag documented',
    passed,
    detail: passed
      ? 'The operations team has acknowledged that FBA figures can lag 4–6 hours at peak.'
      : `Nobody has acknowledged that Amazon's FBA figures can lag 4–6 hours at peak (Conduit flags figures older than ${FBA_LAG_WARNING_MINUTES / 60} h); restock decisions may be made on stale numbers.`,
    fix: passed ? null : `Share the FBA lag note with the operations team, then run \`${conduitCommand('acknowledgeFbaLag', f.connectionId)}\`.`,
  };
}

/** Run the guide's 8 pre-launch checks, in the guide's order. */
export function runChecklist(facts: ChecklistFacts): ChecklistItem[] {
  return [checkScopes, checkSkus, checkPools, checkRouting, checkApi, checkTestOrder, checkFeedSchedule, checkFbaLag].map((check) => check(facts));
}

/** True when every check passed: the connection is ready to go live. */
export function readyToLaunch(items: readonly ChecklistItem[]): boolean {
  return items.length === 8 && items.every((i) => i.passed);
}
