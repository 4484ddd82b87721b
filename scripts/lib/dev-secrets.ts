/**
 * Local-only secrets for the demo on embedded defaults: generated once, kept in
 * .data/dev-secrets.json (mode 0600), never committed. Production sets them in the environment.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface DevSecrets {
  encryptionKey: string;
  codecToken: string;
  clientId: string;
  clientSecret: string;
}

export function loadOrCreateDevSecrets(dataDir: string): DevSecrets {
  const file = path.join(dataDir, 'dev-secrets.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as DevSecrets;
  const secrets: DevSecrets = {
    encryptionKey: randomBytes(32).toString('base64'),
    codecToken: randomBytes(24).toString('hex'),
    clientId: `amzn1.application-oa2-client.${randomBytes(16).toString('hex')}`,
    clientSecret: `amzn1.oa2-cs.v1.${randomBytes(32).toString('hex')}`,
  };
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
