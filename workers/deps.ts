/** Wires real dependencies for activities: database, SP-API adapter per connection, sealer, clock, logger. */
import type { Client } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { encryptionKey, spApiCredentials, type Config } from '../config';
import { schema, type Db } from '../db/client';
import { jsonLogger, type ActivityDeps } from '../activities/deps';
import { createSpApiAppPort, createSpApiPort } from '../spapi/adapter';
import { createSealer } from '../spapi/secrets';

export function buildActivityDeps(config: Config, db: Db, workflowClient: Client): ActivityDeps {
  const { key, keyId } = encryptionKey(config);
  const sealer = createSealer(key, keyId);
  const { clientId, clientSecret } = spApiCredentials(config);
  const clock = () => new Date();
  const log = jsonLogger(config.LOG_LEVEL);
  return {
    db,
    sealer,
    clock,
    log,
    workflowClient,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    spApiApp: createSpApiAppPort({ clientId, clientSecret, endpoint: config.SPAPI_ENDPOINT }),
    async spApiFor(connectionId: string) {
      const [row] = await db.select().from(schema.connections).where(eq(schema.connections.id, connectionId));
      if (!row) throw new Error(`Unknown connection "${connectionId}"`);
      if (!row.refreshTokenEnc) throw new Error(`Connection "${connectionId}" has no refresh token yet: complete authorisation first`);
      return createSpApiPort({
        connectionId,
        region: row.region as 'eu' | 'na' | 'fe',
        refreshToken: sealer.open(row.refreshTokenEnc),
        clientId,
        clientSecret,
        endpoint: config.SPAPI_ENDPOINT,
        db,
        clock,
      });
    },
  };
}
