/**
 * The stock ledger: every stock change is a ledger row with a unique idempotency key, and the
 * pool balances move in the same transaction. A retried activity is a no-op; a change that would
 * oversell or go negative is refused by the database constraints and nothing is written.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { schema } from '../db/client';
import { fbmAvailable, type StockMovement } from '../domain/stock';
import type { ActivityDeps } from './deps';

export interface RecordMovementsInput {
  connectionId: string;
  movements: StockMovement[];
}

export type RecordMovementsResult =
  | { ok: true; applied: number; skipped: number; fbmAvailable: Record<string, number> }
  | { ok: false; reason: 'OVERSELL' | 'NEGATIVE' | 'UNKNOWN_SKU'; message: string };

class Refused extends Error {
  constructor(
    readonly reason: 'OVERSELL' | 'NEGATIVE' | 'UNKNOWN_SKU',
    message: string,
  ) {
    super(message);
  }
}

function constraintOf(err: unknown): string | undefined {
  const e = (err as { cause?: { constraint_name?: string }; constraint_name?: string }) ?? {};
  return e.constraint_name ?? e.cause?.constraint_name;
}

export function createStockLedgerActivities(deps: Pick<ActivityDeps, 'db' | 'log'>) {
  /** Applies movements all-or-nothing; repeats of an idempotency key are skipped, not applied twice. */
  async function recordMovements(input: RecordMovementsInput): Promise<RecordMovementsResult> {
    const { connectionId, movements } = input;
    try {
      return await deps.db.transaction(async (tx) => {
        let applied = 0;
        let skipped = 0;
        for (const m of movements) {
          const inserted = await tx
            .insert(schema.stockLedger)
            .values({
              connectionId,
              sku: m.sku,
              pool: m.pool,
              kind: m.kind,
              onHandDelta: m.onHandDelta,
              allocatedDelta: m.allocatedDelta,
              idempotencyKey: `${connectionId}:${m.idempotencyKey}`,
              reason: m.reason,
            })
            .onConflictDoNothing({ target: schema.stockLedger.idempotencyKey })
            .returning({ id: schema.stockLedger.id });
          if (inserted.length === 0) {
            skipped++;
            continue;
          }
          applied++;
          const fba = m.pool === 'FBA';
          try {
            // Update first: Postgres checks CHECK constraints on the proposed INSERT row before ON CONFLICT,
            // so an upsert would refuse every negative delta (release, despatch, count down) on an existing pool.
            const applyDelta = () =>
              tx
                .update(schema.stockPools)
                .set({
                  onHand: sql`${schema.stockPools.onHand} + ${m.onHandDelta}`,
                  allocated: sql`${schema.stockPools.allocated} + ${fba ? 0 : m.allocatedDelta}`,
                  fbaReserved: sql`${schema.stockPools.fbaReserved} + ${fba ? m.allocatedDelta : 0}`,
                  updatedAt: sql`now()`,
                })
                .where(and(eq(schema.stockPools.connectionId, connectionId), eq(schema.stockPools.sku, m.sku), eq(schema.stockPools.pool, m.pool)));
            const updated = await applyDelta().returning({ sku: schema.stockPools.sku });
            if (updated.length === 0) {
              // First movement of this pool: the new row's checks refuse a negative opening balance.
              // Two workers may open the same pool at once: the loser applies its delta as an update.
              const opened = await tx
                .insert(schema.stockPools)
                .values({
                  connectionId,
                  sku: m.sku,
                  pool: m.pool,
                  onHand: m.onHandDelta,
                  allocated: fba ? 0 : m.allocatedDelta,
                  fbaReserved: fba ? m.allocatedDelta : 0,
                })
                .onConflictDoNothing()
                .returning({ sku: schema.stockPools.sku });
              if (opened.length === 0) await applyDelta();
            }
          } catch (err) {
            const constraint = constraintOf(err) ?? '';
            if (constraint === 'stock_no_oversell') throw new Refused('OVERSELL', `${m.sku}: ${m.kind} would promise more FBM units than are on hand`);
            if (/non_negative/.test(constraint)) throw new Refused('NEGATIVE', `${m.sku}: ${m.kind} would take the ${m.pool} pool below zero`);
            if (/(_fkey|_fk)$/i.test(constraint)) {
              throw new Refused('UNKNOWN_SKU', `${JSON.stringify(m.sku)} is not in the catalogue of ${connectionId}; SKUs match exactly (case and spaces)`);
            }
            throw err;
          }
        }
        const skus = [...new Set(movements.map((m) => m.sku))];
        const pools = skus.length
          ? await tx
              .select({ sku: schema.stockPools.sku, onHand: schema.stockPools.onHand, allocated: schema.stockPools.allocated, buffer: schema.catalogueItems.buffer })
              .from(schema.stockPools)
              .innerJoin(schema.catalogueItems, and(eq(schema.catalogueItems.connectionId, schema.stockPools.connectionId), eq(schema.catalogueItems.sku, schema.stockPools.sku)))
              .where(and(eq(schema.stockPools.connectionId, connectionId), eq(schema.stockPools.pool, 'FBM'), inArray(schema.stockPools.sku, skus)))
          : [];
        const available: Record<string, number> = {};
        for (const p of pools) available[p.sku] = fbmAvailable(p);
        return { ok: true as const, applied, skipped, fbmAvailable: available };
      });
    } catch (err) {
      if (err instanceof Refused) {
        deps.log.warn('stock movement refused', { connectionId, reason: err.reason, message: err.message });
        return { ok: false, reason: err.reason, message: err.message };
      }
      throw err;
    }
  }

  return { recordMovements };
}
