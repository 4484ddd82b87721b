/** Turns known start-up failures into one clear line and a non-zero exit, without a stack-trace wall. */
import { ConfigError } from '../../config';
import { DatabaseUnavailableError } from '../../db/client';
import { TemporalUnavailableError } from './temporal-server';

export function exitWithClearError(err: unknown): never {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  if (err instanceof DatabaseUnavailableError || err instanceof TemporalUnavailableError) {
    console.error(err.message);
    process.exit(3);
  }
  const message = err instanceof Error ? err.message : String(err);
  if (/already in use/.test(message)) {
    console.error(message);
    process.exit(3);
  }
  console.error(`conduit: ${message}`);
  if (process.env.LOG_LEVEL === 'debug' && err instanceof Error) console.error(err.stack);
  process.exit(1);
}
