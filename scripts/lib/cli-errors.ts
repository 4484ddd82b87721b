/**
 * Turns known start-up failures into one clear line and a non-zero exit, without a stack-trace wall.
 * Exit codes every operator command shares: 0 ok, 1 check failed / refused, 2 bad arguments or
 * configuration, 3 a service (Postgres, Temporal) is unavailable.
 */
// Errors are recognised by name, so this module (loaded by every command) pulls in no client library.
const CONFIG = 'ConfigError';
const UNAVAILABLE = new Set(['DatabaseUnavailableError', 'TemporalUnavailableError']);
const named = (err: unknown, name: string): boolean => err instanceof Error && err.name === name;

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_UNAVAILABLE = 3;

/** Temporal client errors that mean "the server is not there" rather than "the request was wrong". */
function isTemporalUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  // gRPC UNAVAILABLE (14) / DEADLINE_EXCEEDED (4) on a call; "Failed to connect before the deadline" on connect.
  if ((code === 14 || code === 4) && /temporal|grpc|connect|unavailable|deadline/i.test(`${err.name} ${err.message}`)) return true;
  return /Failed to connect before the deadline|ECONNREFUSED|14 UNAVAILABLE/.test(err.message);
}

/** The exit code a failure means (see the header). */
export function exitCodeFor(err: unknown): number {
  if (named(err, CONFIG) || named(err, 'UsageError')) return EXIT_USAGE;
  if (err instanceof Error && String((err as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS')) return EXIT_USAGE;
  if ((err instanceof Error && UNAVAILABLE.has(err.name)) || isTemporalUnreachable(err)) return EXIT_UNAVAILABLE;
  if (err instanceof Error && /already in use/.test(err.message)) return EXIT_UNAVAILABLE;
  return EXIT_FAILED;
}

/** One line for the operator: what failed and, for an unreachable Temporal, what to check. */
export function clearMessage(err: unknown): string {
  if (err instanceof Error && (err.name === CONFIG || UNAVAILABLE.has(err.name))) return err.message;
  const message = err instanceof Error ? err.message : String(err);
  if (isTemporalUnreachable(err)) return `Cannot reach Temporal (${message}). Check TEMPORAL_ADDRESS, or start Conduit (npm run demo / npm run worker).`;
  return `conduit: ${message}`;
}

export function exitWithClearError(err: unknown): never {
  console.error(clearMessage(err));
  if (process.env.LOG_LEVEL === 'debug' && err instanceof Error) console.error(err.stack);
  process.exit(exitCodeFor(err));
}
