/** Activities that record seller connections (the seller's SP-API authorisation per region). */
import { sql } from 'drizzle-orm';
import { schema } from '../db/client';
import type { ActivityDeps } from './deps';

export interface ConnectionInput {
  connectionId: string;
  sellerId: string;
  region: 'eu' | 'na' | 'fe';
  marketplaceIds: string[];
  apiKind: 'SP_API' | 'MWS';
  grantedScopes: string[];
  /** Sealed by the caller's Sealer before it enters workflow history? No: sealed here, passed only as sealed text. */
  refreshTokenSealed?: string;
  /** MWS connections: when the last order MWS delivered was placed (the migration backfills from there). */
  lastMwsOrderAt?: string;
}

export function createConnectionActivities(deps: Pick<ActivityDeps, 'db' | 'clock' | 'log'>) {
  return {
    /** Creates or updates a connection row; re-running with the same input changes nothing. */
    async saveConnection(input: ConnectionInput): Promise<{ created: boolean }> {
      const rows = await deps.db
        .insert(schema.connections)
        .values({
          id: input.connectionId,
          sellerId: input.sellerId,
          region: input.region,
          marketplaceIds: input.marketplaceIds,
          apiKind: input.apiKind,
          grantedScopes: input.grantedScopes,
          refreshTokenEnc: input.refreshTokenSealed ?? null,
          authorisedAt: input.refreshTokenSealed ? deps.clock() : null,
          lastMwsOrderAt: input.lastMwsOrderAt ? new Date(input.lastMwsOrderAt) : null,
        })
        .onConflictDoUpdate({
          target: schema.connections.id,
          set: {
            marketplaceIds: input.marketplaceIds,
            grantedScopes: input.grantedScopes,
            ...(input.lastMwsOrderAt ? { lastMwsOrderAt: new Date(input.lastMwsOrderAt) } : {}),
            ...(input.refreshTokenSealed
              ? {
                  refreshTokenEnc: input.refreshTokenSealed,
                  // A new token is a new consent; the same token again (a re-run) keeps the consent time.
                  authorisedAt: sql`case when ${schema.connections.refreshTokenEnc} is distinct from excluded.refresh_token_enc then now() else ${schema.connections.authorisedAt} end`,
                }
              : {}),
            updatedAt: deps.clock(),
          },
        })
        .returning({ created: sql<boolean>`(xmax = 0)` });
      deps.log.info('connection saved', { connectionId: input.connectionId, region: input.region });
      return { created: rows[0]?.created ?? false };
    },
  };
}
