/** Wires real dependencies for activities: database, SP-API adapter per connection, sealer, clock, logger. */
import type { Client } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { encryptionKey, spApiCredentials, type Config } from '../config';
import { schema, type Db } from '../db/client';
import { jsonLogger, type ActivityDeps, type Logger, type Sealer } from '../activities/deps';
import { createSpApiAppPort, createSpApiPort } from '../spapi/adapter';
import type { SpApiPort } from '../spapi/port';
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
  // One port per connection keeps its LWA access token between activities; a new sealed
  // refresh token (re-authorisation) builds a new port. Only a cache: nothing here must hold across workers.
  const ports = new Map<string, { sealed: string; port: SpApiPort }>();
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
      const cached = ports.get(connectionId);
      if (cached && cached.sealed === row.refreshTokenEnc) return cached.port;
      const port = createSpApiPort({
        connectionId,
        region: row.region as 'eu' | 'na' | 'fe',
        refreshToken: sealer.open(row.refreshTokenEnc),
        clientId,
        clientSecret,
        endpoint,
        db,
        clock,
      });
      ports.set(connectionId, { sealed: row.refreshTokenEnc, port });
      return port;
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
