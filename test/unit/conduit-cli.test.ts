/**
 * The operator CLI's routing, without any service: every fix command the checklist prints is a
 * real `npm run conduit` command, and the exit-code mapping is the documented one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../config';
import { DatabaseUnavailableError } from '../../db/client';
import { CONDUIT_COMMANDS, conduitCommand } from '../../domain/checklist';
import { COMMANDS, resolveCommand } from '../../scripts/conduit';
import { exitCodeFor } from '../../scripts/lib/cli-errors';
import { UsageError } from '../../scripts/lib/connection-cli';

const argvOf = (line: string): string[] => {
  assert.match(line, /^npm run conduit -- /, `${line} is not an npm run conduit command`);
  return line.replace(/^npm run conduit -- /, '').split(' ');
};

test('every checklist fix names a real CLI command, with flags the command declares', async () => {
  for (const [name, template] of Object.entries(CONDUIT_COMMANDS)) {
    const line = conduitCommand(name as keyof typeof CONDUIT_COMMANDS, 'uk-acme');
    assert.ok(!line.includes('<id>'), line);
    const found = resolveCommand(argvOf(line));
    assert.ok(found, `${name}: "${template}" is not a conduit command`);
    const usage = await found.command.usage();
    for (const flag of line.split(' ').filter((w) => w.startsWith('--') && w !== '--')) {
      assert.ok(usage.includes(flag), `${name}: ${found.command.name} does not document ${flag}`);
    }
    if (found.command.verbs) assert.ok(found.command.verbs.includes(found.rest[0] ?? ''), `${name}: unknown sub-command in ${line}`);
  }
});

test('the commands the demo prints resolve', () => {
  for (const line of [
    'npm run conduit -- reauth url --connection uk-demo',
    'npm run conduit -- reauth complete --connection uk-demo --state s --code c',
    'npm run conduit -- migrate-mws --connection uk-demo',
    'npm run conduit -- connection status --connection uk-demo',
  ]) {
    assert.ok(resolveCommand(argvOf(line)), line);
  }
  assert.equal(new Set(COMMANDS.map((c) => c.name)).size, COMMANDS.length, 'command names are unique');
});

test('exit codes: 2 bad arguments or configuration, 3 a service unavailable, 1 anything else', () => {
  assert.equal(exitCodeFor(new UsageError('--order is required')), 2);
  assert.equal(exitCodeFor(new ConfigError(['DATABASE_URL: bad'])), 2);
  assert.equal(exitCodeFor(Object.assign(new TypeError("Unknown option '--nope'"), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' })), 2);
  assert.equal(exitCodeFor(new DatabaseUnavailableError('postgres://u:p@127.0.0.1:1/x', new Error('ECONNREFUSED'))), 3);
  assert.equal(exitCodeFor(new Error('Failed to connect before the deadline')), 3);
  assert.equal(exitCodeFor(new Error('No order workflow order:A1F83G8C2ARO7P:202-0000000-0000000')), 1);
});
