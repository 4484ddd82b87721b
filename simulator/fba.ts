import { iso, DAY } from './clock';
import type { AmazonSimulator } from './simulator';
import { skuKey, type FbaMovement, type FbaStock } from './state';

/**
 * FBA stock. The real level changes at once; getInventorySummaries reports the level as of
 * (now − fbaLag), reconstructed from the movement history (the guide's 4–6 h lag).
 */
export class FbaService {
  constructor(private readonly sim: AmazonSimulator) {}

  private get core() {
    return this.sim.core;
  }

  get(sellerId: string, sku: string): FbaStock | undefined {
    return this.core.state.fbaStock.get(skuKey(sellerId, sku));
  }

  /** Opening stock dates from long before the lag window, so it is visible at once. */
  seed(sellerId: string, sku: string, quantity: number): FbaStock {
    const stock: FbaStock = {
      sellerId,
      sku,
      history: [{ at: this.core.now() - 365 * DAY, delta: quantity, level: quantity, reason: 'opening balance' }],
      unfulfillable: 0,
    };
    this.core.state.fbaStock.set(skuKey(sellerId, sku), stock);
    return stock;
  }

  realLevel(sellerId: string, sku: string): number {
    const stock = this.get(sellerId, sku);
    return stock?.history.at(-1)?.level ?? 0;
  }

  /** Adds a movement (delta may be negative; the level never goes below zero). */
  move(sellerId: string, sku: string, delta: number, reason: string, reference?: string): FbaMovement {
    const stock = this.get(sellerId, sku) ?? this.seed(sellerId, sku, 0);
    const current = stock.history.at(-1)?.level ?? 0;
    const level = Math.max(0, current + delta);
    const movement: FbaMovement = { at: this.core.now(), delta: level - current, level, reason, reference };
    stock.history.push(movement);
    return movement;
  }

  /** What Amazon reports now: the last movement at or before now − lag. */
  reported(stock: FbaStock): { level: number; lastUpdatedAt: number } {
    const horizon = this.core.now() - this.core.options.fbaLagMs;
    let visible: FbaMovement | undefined;
    for (const m of stock.history) {
      if (m.at <= horizon) visible = m;
      else break;
    }
    return { level: visible?.level ?? 0, lastUpdatedAt: visible?.at ?? stock.history[0]?.at ?? this.core.now() };
  }

  stocksOf(sellerId: string): FbaStock[] {
    return [...this.core.state.fbaStock.values()].filter((s) => s.sellerId === sellerId).sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
  }

  readBack(stock: FbaStock): Record<string, unknown> {
    const reported = this.reported(stock);
    return {
      sellerId: stock.sellerId,
      sku: stock.sku,
      realQuantity: stock.history.at(-1)?.level ?? 0,
      reportedQuantity: reported.level,
      reportedAsOf: iso(this.core.now() - this.core.options.fbaLagMs),
      unfulfillable: stock.unfulfillable,
      history: stock.history.map((m) => ({ ...m, at: iso(m.at) })),
    };
  }
}
