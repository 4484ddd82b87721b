import { defineConfig } from 'drizzle-kit';

// Only `generate` is used (it needs no database); migrations are applied by db/migrate.ts on start.
export default defineConfig({ dialect: 'postgresql', schema: './db/schema.ts', out: './db/migrations' });
