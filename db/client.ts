/** Opens Conduit's database. Nothing connects on import: callers ask for a connection. */
import path from 'node:path';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import * as schema from './schema';

export type Db = PostgresJsDatabase<typeof schema> & { $client: postgres.Sql };
export { schema };

/** Thrown when the database cannot be reached; the message says which URL (without password) and why. */
export class DatabaseUnavailableError extends Error {
  constructor(url: string, cause: unknown) {
    super(`Cannot reach Postgres at ${redactUrl(url)}: ${describe(cause)}. Check DATABASE_URL, or unset it to use embedded Postgres.`);
    this.name = 'DatabaseUnavailableError';
  }
}

function describe(cause: unknown): string {
  if (cause && typeof cause === 'object' && 'code' in cause) {
    const c = cause as { code?: string; message?: string };
    return `${c.code}${c.message && !c.message.includes(String(c.code)) ? ` ${c.message}` : ''}`;
  }
  return cause instanceof Error ? cause.message : String(cause);
}

/** Hides the password in a postgres URL for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/(postgres(?:ql)?:\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

/** Connects, checks the connection with one round trip, and returns a drizzle handle. */
export async function openDb(url: string, opts: { max?: number } = {}): Promise<Db> {
  const sql = postgres(url, { max: opts.max ?? 10, onnotice: () => {}, connect_timeout: 10, idle_timeout: 30 });
  try {
    await sql`select 1`;
  } catch (err) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw new DatabaseUnavailableError(url, err);
  }
  return drizzle(sql, { schema }) as Db;
}

/** Applies the committed drizzle-kit migrations (idempotent). */
export async function migrateDb(db: Db): Promise<void> {
  await migrate(db, { migrationsFolder: path.join(__dirname, 'migrations') });
}

/** Closes the pool, letting in-flight queries finish. */
export async function closeDb(db: Db): Promise<void> {
  await db.$client.end({ timeout: 5 });
}
