// Lint keeps workflow code deterministic and the dependency direction visible:
// domain ← spapi/db ← activities ← workers; workflows import only domain, contracts and activity *types*.
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const restrict = (groups, message) => [{ group: groups, message }];

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'db/migrations/**', 'bench/results/**', 'test/artifacts/**', '**/*.mjs', '**/*.js'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code must be deterministic: no Node built-ins (do I/O in an activity).' })),
          patterns: [
            ...restrict(['../activities/*', '../../activities/*'], 'Workflows import activity *types* only: use `import type`.').map((p) => ({ ...p, allowTypeImports: true })),
            ...restrict(['../db/*', '../../db/*', '../spapi/adapter*', '../spapi/rate-limiter*', '../spapi/channel-log*', '../spapi/secrets*', '../workers/*', '../scripts/*', '../simulator/*', '../codec/*', '../config/*'], 'Workflows import only domain, contracts, spapi/errors, spapi/activity-options and activity types.'),
            ...restrict(['amazon-sp-api', 'postgres', 'drizzle-orm', 'drizzle-orm/*', '@temporalio/client', '@temporalio/worker', '@temporalio/activity', 'uuid', 'crypto-js'], 'Not deterministic / not for workflow code.'),
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use a Temporal timer loop.' },
        { name: 'fetch', message: 'No I/O in workflows: call an activity.' },
        { name: 'process', message: 'No process access in workflows.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use the workflow-safe random or pass a seed.' },
        { object: 'Date', property: 'now', message: 'Workflow time comes from the workflow clock; pass it explicitly to domain functions.' },
      ],
    },
  },
  {
    files: ['domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'domain/ is pure: no Node built-ins.' })),
          patterns: restrict(['../*', '@temporalio/*', 'amazon-sp-api', 'postgres', 'drizzle-orm', 'drizzle-orm/*'], 'domain/ depends on nothing but itself.'),
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'domain/ is deterministic.' },
        { object: 'Date', property: 'now', message: 'domain/ takes the time as an argument.' },
      ],
    },
  },
  {
    files: ['spapi/**/*.ts', 'db/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: restrict(['../activities/*', '../workers/*', '../workflows/*', '../scripts/*'], 'spapi/ and db/ sit below activities, workers and workflows.') },
      ],
    },
  },
  {
    files: ['activities/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: restrict(['../workers/*', '../scripts/*', '../config/*'], 'Activities receive their dependencies; they do not read config or reach up to workers.') }],
    },
  },
);
