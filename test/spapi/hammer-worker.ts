/**
 * One "worker process" for the two-process limiter test (not a test file itself): calls one
 * operation as fast as it can through the real adapter and the shared Postgres limiter, then
 * prints a JSON summary on stdout. Configured by HAMMER_CONFIG (JSON).
 */
import { closeDb, openDb } from '../../db/client';
import { createSpApiPort } from '../../spapi/adapter';
import { SpApiError } from '../../spapi/errors';

interface HammerConfig {
  databaseUrl: string;
  endpoint: string;
  connectionId: string;
  refreshToken: string;
  clientId: string;
  clientSecret: string;
  orderId: string;
  calls: number;
  concurrency: number;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.HAMMER_CONFIG ?? '{}') as HammerConfig;
  const db = await openDb(config.databaseUrl, { max: config.concurrency });
  const port = createSpApiPort({
    connectionId: config.connectionId,
    region: 'eu',
    refreshToken: config.refreshToken,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    endpoint: config.endpoint,
    db,
    workflowId: `hammer-${process.pid}`,
  });
  const errors: Record<string, number> = {};
  let ok = 0;
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: config.concurrency }, async () => {
      while (next < config.calls) {
        next++;
        try {
          await port.getOrder(config.orderId);
          ok++;
        } catch (err) {
          const type = err instanceof SpApiError ? `${err.type}:${err.details.httpStatus ?? err.details.code ?? ''}` : 'Unexpected';
          errors[type] = (errors[type] ?? 0) + 1;
        }
      }
    }),
  );
  const finished = Date.now();
  await closeDb(db);
  process.stdout.write(`${JSON.stringify({ pid: process.pid, ok, errors, started, finished })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
