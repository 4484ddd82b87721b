// Exact, case-sensitive Seller SKU matching. Amazon matches on the Seller SKU byte for byte, so Conduit
// does too: "ABC " and "abc" are different products as far as Amazon is concerned. Near-misses are
// found and named so an operator can fix them at the source — they are never mapped silently.

/** How two SKUs that look the same actually differ. */
export type SkuDifference = 'case' | 'leading-space' | 'trailing-space' | 'inner-whitespace' | 'unicode-normalisation';

/** Outcome of looking an order's SKU up in the catalogue. */
export type SkuMatch =
  | { kind: 'exact'; sku: string }
  | { kind: 'near-miss'; sku: string; differences: SkuDifference[] }
  | { kind: 'unknown' };

type SkuParts = { lead: string; middle: string; trail: string };

function split(sku: string): SkuParts {
  const lead = /^\s*/.exec(sku)?.[0] ?? '';
  const rest = sku.slice(lead.length);
  const trail = /\s*$/.exec(rest)?.[0] ?? '';
  return { lead, middle: rest.slice(0, rest.length - trail.length), trail };
}

const fold = (s: string): string => s.normalize('NFKC').toLowerCase().normalize('NFKC');
const stripWhitespace = (s: string): string => s.replace(/\s+/g, '');

/** The key under which SKUs that differ only by case, whitespace or Unicode form collide; used to find near-misses, never to match. */
export function skuLookalikeKey(sku: string): string {
  return fold(stripWhitespace(sku));
}

// Non-whitespace runs folded, whitespace runs kept as typed: differs only if the inner whitespace differs.
const innerShape = (middle: string): string =>
  middle.split(/(\s+)/).map((part, i) => (i % 2 === 1 ? part : fold(part))).join('');

/** The ways two lookalike SKUs differ; empty only when they are identical. */
export function skuDifferences(a: string, b: string): SkuDifference[] {
  if (a === b) return [];
  const pa = split(a), pb = split(b);
  const differences: SkuDifference[] = [];
  if (pa.lead !== pb.lead) differences.push('leading-space');
  if (pa.trail !== pb.trail) differences.push('trailing-space');
  if (pa.middle !== pb.middle) {
    if (innerShape(pa.middle) !== innerShape(pb.middle)) differences.push('inner-whitespace');
    const ra = stripWhitespace(pa.middle), rb = stripWhitespace(pb.middle);
    const caseDiffers = ra.normalize('NFKC') !== rb.normalize('NFKC');
    const unicodeDiffers = ra.toLowerCase() !== rb.toLowerCase();
    if (caseDiffers) differences.push('case');
    // Canonically equivalent but different code points (é vs e + ◌́, full-width letters, ligatures).
    if (unicodeDiffers || (!caseDiffers && ra !== rb)) differences.push('unicode-normalisation');
  }
  return differences;
}

/** Look an order's SKU up: exact (case-sensitive) match, a named near-miss (reported, never used), or unknown. */
export function matchSku(orderSku: string, catalogueSkus: readonly string[]): SkuMatch {
  if (catalogueSkus.includes(orderSku)) return { kind: 'exact', sku: orderSku };
  const key = skuLookalikeKey(orderSku);
  let best: { sku: string; differences: SkuDifference[] } | null = null;
  for (const candidate of catalogueSkus) {
    if (skuLookalikeKey(candidate) !== key) continue;
    const differences = skuDifferences(orderSku, candidate);
    if (!best || differences.length < best.differences.length) best = { sku: candidate, differences };
  }
  return best ? { kind: 'near-miss', ...best } : { kind: 'unknown' };
}

const DIFFERENCE_WORDS: Readonly<Record<SkuDifference, string>> = {
  case: 'upper/lower case',
  'leading-space': 'a space (or other whitespace) at the start',
  'trailing-space': 'a space (or other whitespace) at the end',
  'inner-whitespace': 'spaces inside the SKU',
  'unicode-normalisation': 'look-alike Unicode characters (e.g. accented letters typed differently, full-width or non-breaking characters)',
};

/** Shows a SKU with its invisible characters made visible, e.g. "ABC·" for a trailing space. */
export function showSku(sku: string): string {
  const visible = Array.from(sku)
    .map((ch) => (ch === ' ' ? '·' : /\s/.test(ch) || ch.charCodeAt(0) > 0x7e ? `<U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}>` : ch))
    .join('');
  return `"${visible}"`;
}

/** Operator message for an order SKU that did not match exactly: what it is near, how it differs, and what to do. */
export function describeSkuMismatch(orderSku: string, match: SkuMatch): string {
  switch (match.kind) {
    case 'exact':
      return `SKU ${showSku(orderSku)} matches the catalogue exactly.`;
    case 'near-miss':
      return (
        `SKU ${showSku(orderSku)} on the Amazon order is not in the Conduit catalogue. It looks like ${showSku(match.sku)} ` +
        `but differs by ${match.differences.map((d) => DIFFERENCE_WORDS[d]).join(', ')}. ` +
        `Amazon matches Seller SKUs exactly (case-sensitive), so Conduit will not treat them as the same item: ` +
        `rename one so both are identical (edit the Seller SKU in Seller Central or the item SKU in Conduit), then retry the order.`
      );
    case 'unknown':
      return (
        `SKU ${showSku(orderSku)} on the Amazon order is not in the Conduit catalogue and nothing similar is. ` +
        `Add the item to Conduit with exactly this SKU (case-sensitive), then retry the order.`
      );
  }
}

/** A Conduit SKU and an Amazon SKU that look alike but are not equal. */
export type SkuNearMiss = { conduitSku: string; amazonSku: string; differences: SkuDifference[] };

/** Reconciliation of the Conduit catalogue against Amazon's listings (checklist item 2). */
export type CatalogueComparison = {
  exact: string[];
  nearMisses: SkuNearMiss[];
  /** Listed on Amazon, nothing alike in Conduit: orders for these will stop as unknown SKUs. */
  onlyOnAmazon: string[];
  /** In Conduit, nothing alike on Amazon: not listed (fine) or listed under another SKU. */
  onlyInConduit: string[];
};

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Compare catalogues SKU by SKU: exact matches, named near-misses (each side listed once there, not in the only-* lists), and SKUs only on one side. */
export function compareCatalogues(conduitSkus: readonly string[], amazonSkus: readonly string[]): CatalogueComparison {
  const conduit = [...new Set(conduitSkus)].sort(byCodePoint);
  const amazon = [...new Set(amazonSkus)].sort(byCodePoint);
  const conduitSet = new Set(conduit);
  const amazonSet = new Set(amazon);
  const conduitByKey = new Map<string, string[]>();
  for (const sku of conduit) {
    const key = skuLookalikeKey(sku);
    conduitByKey.set(key, [...(conduitByKey.get(key) ?? []), sku]);
  }
  const amazonByKey = new Map<string, string[]>();
  for (const sku of amazon) {
    const key = skuLookalikeKey(sku);
    amazonByKey.set(key, [...(amazonByKey.get(key) ?? []), sku]);
  }

  const exact = conduit.filter((sku) => amazonSet.has(sku));
  const nearMisses: SkuNearMiss[] = [];
  const paired = new Set<string>();
  const pair = (conduitSku: string, amazonSku: string): void => {
    const id = JSON.stringify([conduitSku, amazonSku]);
    if (paired.has(id)) return;
    paired.add(id);
    nearMisses.push({ conduitSku, amazonSku, differences: skuDifferences(conduitSku, amazonSku) });
  };
  const onlyOnAmazon: string[] = [];
  for (const sku of amazon) {
    if (conduitSet.has(sku)) continue;
    const match = matchSku(sku, conduitByKey.get(skuLookalikeKey(sku)) ?? []);
    if (match.kind === 'near-miss') pair(match.sku, sku);
    else onlyOnAmazon.push(sku);
  }
  const onlyInConduit: string[] = [];
  for (const sku of conduit) {
    if (amazonSet.has(sku)) continue;
    const match = matchSku(sku, amazonByKey.get(skuLookalikeKey(sku)) ?? []);
    if (match.kind === 'near-miss') pair(sku, match.sku);
    else onlyInConduit.push(sku);
  }
  nearMisses.sort((x, y) => byCodePoint(x.conduitSku, y.conduitSku) || byCodePoint(x.amazonSku, y.amazonSku));
  return { exact, nearMisses, onlyOnAmazon, onlyInConduit };
}
