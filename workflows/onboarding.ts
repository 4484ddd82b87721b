import { proxyActivities } from '@temporalio/workflow';
import type { createConnectionActivities, ConnectionInput } from '../activities/connections';

const { saveConnection } = proxyActivities<ReturnType<typeof createConnectionActivities>>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 5 },
});

/** Records a seller connection durably; the workflow ID is built from the connection ID. */
export async function onboardConnection(input: ConnectionInput): Promise<{ created: boolean }> {
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(input.connectionId)) {
    throw new Error(`connectionId "${input.connectionId}" must be lower-case letters, digits and dashes`);
  }
  return saveConnection(input);
}
