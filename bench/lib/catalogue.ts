/** A peak-day catalogue: FBM-only, FBA-only and hybrid SKUs in fixed proportions, deterministic for a size. */
import { createHash } from 'node:crypto';
import type { SimCatalogueItem } from '../../simulator/control-client';

const TYPES = [
  { prefix: 'MUG', productType: 'DRINKING_CUP', price: 12.5 },
  { prefix: 'CAP', productType: 'HAT', price: 18 },
  { prefix: 'TEE', productType: 'SHIRT', price: 15 },
  { prefix: 'BOOK', productType: 'ABIS_BOOK', price: 9.99 },
  { prefix: 'LAMP', productType: 'LAMP', price: 64 },
  { prefix: 'SOCK', productType: 'SOCKS', price: 14 },
];

/**
 * `count` SKUs: half FBM-only, a quarter FBA-only, a quarter hybrid (the guide's stock-pool
 * collision shape). FBM stock is generous enough that a peak day sells out nothing by design:
 * any order Conduit cannot allocate is an oversell.
 */
export function peakCatalogue(count: number, opts: { fbmQuantity?: number; fbaQuantity?: number } = {}): SimCatalogueItem[] {
  const items: SimCatalogueItem[] = [];
  for (let i = 0; i < count; i++) {
    const type = TYPES[i % TYPES.length]!;
    const fulfilment = i % 4 === 1 ? 'FBA' : i % 4 === 3 ? 'HYBRID' : 'FBM';
    const sku = `${type.prefix}-${fulfilment.slice(0, 3)}-${String(i).padStart(5, '0')}`;
    items.push({
      sku,
      asin: `B0${createHash('sha1').update(sku).digest('hex').slice(0, 8).toUpperCase()}`,
      title: `${type.prefix.toLowerCase()} no. ${i}`,
      productType: type.productType,
      price: type.price,
      fulfilment,
      fbmQuantity: fulfilment === 'FBA' ? 0 : (opts.fbmQuantity ?? 40),
      fbaQuantity: fulfilment === 'FBM' ? 0 : (opts.fbaQuantity ?? 60),
    });
  }
  return items;
}
