/**
 * Builds a Conduit worker: Temporal connection, workflows, activities from factories.
 * Stateless: everything that must hold across workers lives in Postgres or Temporal, so any
 * number of these can run side by side.
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { ActivityDeps } from '../activities/deps';
import { conduitDataConverter } from '../codec/payload-codec';

export interface WorkerSettings {
  address: string;
  namespace: string;
  taskQueue: string;
  encryption: { key: Buffer; keyId: string };
  /** A prebuilt bundle (tests bundle once per file); otherwise workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  maxConcurrentActivityTaskExecutions?: number;
}

export async function createConduitWorker(settings: WorkerSettings, deps: ActivityDeps): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = await NativeConnection.connect({ address: settings.address });
  const worker = await Worker.create({
    connection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    ...(settings.workflowBundle ? { workflowBundle: settings.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities(deps),
    dataConverter: conduitDataConverter(settings.encryption.key, settings.encryption.keyId),
    maxConcurrentActivityTaskExecutions: settings.maxConcurrentActivityTaskExecutions ?? 50,
    shutdownGraceTime: '20s',
  });
  return { worker, connection };
}
