/**
 * We cannot run Docker here, so the production compose file is checked structurally: every
 * service we rely on exists, images are pinned, healthchecks and start-up order are wired,
 * the deprecated auto-setup image is not used, every file it mounts or builds exists, and every
 * variable it passes to Conduit is one the config module knows.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../../config';

const root = path.resolve(__dirname, '../..');
interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: unknown };
  volumes?: string[];
}
const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;

test('compose has Postgres, Temporal schema setup, Temporal server, Web UI, codec server and Conduit workers', () => {
  for (const name of ['postgresql', 'temporal-schema', 'temporal', 'temporal-ui', 'conduit-setup', 'conduit-codec', 'conduit-worker']) {
    assert.ok(services[name], `service ${name} missing`);
  }
});

test('images are pinned to explicit versions and auto-setup is not used', () => {
  for (const [name, svc] of Object.entries(services)) {
    if (!svc.image) {
      assert.ok(svc.build, `${name} has neither image nor build`);
      continue;
    }
    assert.match(svc.image, /:[0-9][\w.-]*$/, `${name} image ${svc.image} is not pinned`);
    assert.ok(!svc.image.includes('auto-setup'), `${name} uses the deprecated auto-setup image`);
  }
  assert.match(services['temporal-schema']!.image!, /^temporalio\/admin-tools:/);
  assert.match(services.temporal!.image!, /^temporalio\/server:/);
});

test('start-up order waits on health, schema and setup', () => {
  assert.equal(services['temporal-schema']!.depends_on!.postgresql!.condition, 'service_healthy');
  assert.equal(services.temporal!.depends_on!['temporal-schema']!.condition, 'service_completed_successfully');
  assert.equal(services['conduit-worker']!.depends_on!['conduit-setup']!.condition, 'service_completed_successfully');
  for (const name of ['postgresql', 'temporal', 'conduit-codec']) assert.ok(services[name]!.healthcheck, `${name} has no healthcheck`);
});

test('Conduit services get every setting they need, and only settings config knows', () => {
  const known = new Set(Object.keys(loadConfig({})).concat(['CODEC_SERVER_HOST', 'CODEC_SERVER_CORS_ORIGIN', 'SPAPI_CLIENT_ID', 'SPAPI_CLIENT_SECRET', 'SPAPI_APPLICATION_ID', 'DATABASE_URL', 'TEMPORAL_ADDRESS', 'CONDUIT_ENCRYPTION_KEY', 'CODEC_SERVER_TOKEN', 'SPAPI_ENDPOINT', 'TEMPORAL_CLI_PATH']));
  for (const name of ['conduit-worker', 'conduit-setup', 'conduit-codec']) {
    const env = services[name]!.environment!;
    for (const required of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'CONDUIT_ENCRYPTION_KEY']) assert.ok(env[required], `${name} lacks ${required}`);
    for (const key of Object.keys(env)) assert.ok(known.has(key), `${name} passes ${key}, which config does not read`);
  }
  assert.equal(services['temporal-ui']!.environment!.TEMPORAL_CODEC_ENDPOINT?.startsWith('http://'), true);
});

test('every file compose builds, runs or mounts exists', () => {
  assert.ok(fs.existsSync(path.join(root, 'Dockerfile')));
  for (const svc of Object.values(services)) {
    for (const volume of svc.volumes ?? []) {
      const source = volume.split(':')[0]!;
      if (source.startsWith('./')) assert.ok(fs.existsSync(path.join(root, source)), `mounted ${source} missing`);
    }
    const parts = Array.isArray(svc.command) ? svc.command : (svc.command ?? '').split(' ');
    const script = parts.find((part) => /\.ts$/.test(part));
    if (script) assert.ok(fs.existsSync(path.join(root, script)), `command runs ${script}, which is missing`);
  }
});
