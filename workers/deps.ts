/** Wires real dependencies for activities: database, SP-API adapter per connection, sealer, clock, logger. */
import type { Client } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { encryptionKey, spApiCredentials, type Config } from '../config';
import { schema, type Db } from '../db/client';
import { jsonLogger, type ActivityDeps, type Logger, type Sealer } from '../activities/deps';
import { createSpApiAppPort, createSpApiPort } from '../spapi/adapter';
import { createSealer } from '../spapi/secrets';

export interface RealDepsInput {
  db: Db;
  sealer: Sealer;
  clientId: string;
  clientSecret: string;
  /** Simulator URL; undefined talks to Amazon. */
  endpoint?: string;
  workflowClient: Client;
  taskQueue: string;
  log: Logger;
}

/** Activity dependencies from explicit values (tests, benchmarks and the config wrapper below). */
export function createActivityDeps(input: RealDepsInput): ActivityDeps {
  const { db, sealer, clientId, clientSecret, endpoint } = input;
  const clock = () => new Date();
  return {
    db,
    sealer,
    clock,
    log: input.log,
    workflowClient: input.workflowClient,
    taskQueue: input.taskQueue,
    spApiApp: createSpApiAppPort({ clientId, clientSecret, endpoint, db }),
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
        endpoint,
        db,
        clock,
      });
    },
  };
}

/** Activity dependencies from validated config. */
export function buildActivityDeps(config: Config, db: Db, workflowClient: Client): ActivityDeps {
  const { key, keyId } = encryptionKey(config);
  const { clientId, clientSecret } = spApiCredentials(config);
  return createActivityDeps({
    db,
    sealer: createSealer(key, keyId),
    clientId,
    clientSecret,
    endpoint: config.SPAPI_ENDPOINT,
    workflowClient,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    log: jsonLogger(config.LOG_LEVEL),
  });
}
