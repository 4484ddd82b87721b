import { proxyActivities } from '@temporalio/workflow';
import type { createConnectionActivities, ConnectionInput } from '../activities/connections';
import type { AuthActivities } from '../activities/auth';

const { saveConnection } = proxyActivities<ReturnType<typeof createConnectionActivities>>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 5 },
});
const { ensureConnectionWorkflow } = proxyActivities<AuthActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1 minute' },
});

/**
 * Records a seller connection durably and starts its connection workflow (which every other
 * workflow of the connection reports AccessDenied to); the workflow ID is built from the connection ID.
 */
export async function onboardConnection(input: ConnectionInput): Promise<{ created: boolean }> {
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(input.connectionId)) {
    throw new Error(`connectionId "${input.connectionId}" must be lower-case letters, digits and dashes`);
  }
  const saved = await saveConnection(input);
  await ensureConnectionWorkflow(input.connectionId);
  return saved;
}
