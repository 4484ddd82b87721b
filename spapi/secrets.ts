/**
 * Secrets at rest and in logs. Refresh tokens (and buyer PII) are sealed with AES-256-GCM into
 * `enc:<keyId>:<base64(iv | tag | ciphertext)>` — the shape the connections table's check
 * constraint expects. The key id is bound as additional authenticated data, so a value cannot be
 * relabelled to another key. Older keys can be passed in for rotation: sealing always uses the
 * current key, opening accepts any known one.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Seals and opens secrets stored in Postgres. Same shape as `Sealer` in activities/deps.ts
 * (spapi/ sits below activities/, so it cannot import it; the secrets test checks they match).
 */
export interface Sealer {
  seal(plain: string): string;
  open(sealed: string): string;
}

/** Thrown when a sealed value is malformed, sealed with an unknown key, or was altered. */
export class SealedValueError extends Error {
  constructor(reason: string) {
    super(`Cannot open sealed value: ${reason}`);
    this.name = 'SealedValueError';
  }
}

/** An AES-256-GCM sealer; `olderKeys` (keyId → key) are accepted when opening, for rotation. */
export function createSealer(key: Buffer, keyId: string, olderKeys: Readonly<Record<string, Buffer>> = {}): Sealer {
  const keys = new Map<string, Buffer>(Object.entries(olderKeys));
  keys.set(keyId, key);
  for (const [id, k] of keys) {
    if (!KEY_ID.test(id)) throw new Error(`Key id "${id}" must be 1-32 letters, digits, "-" or "_"`);
    if (k.length !== 32) throw new Error(`Key "${id}" must be 32 bytes for AES-256-GCM, got ${k.length}`);
  }
  return {
    seal(plain: string): string {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(keyId, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return `enc:${keyId}:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
    },
    open(sealed: string): string {
      const match = /^enc:([^:]+):([A-Za-z0-9+/]+={0,2})$/.exec(sealed);
      if (!match) throw new SealedValueError('not in enc:<keyId>:<base64> form');
      const id = match[1]!;
      const k = keys.get(id);
      if (!k) throw new SealedValueError(`sealed with unknown key "${id}"`);
      const raw = Buffer.from(match[2]!, 'base64');
      if (raw.length < IV_BYTES + TAG_BYTES) throw new SealedValueError('too short');
      const decipher = createDecipheriv('aes-256-gcm', k, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(id, 'utf8'));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      try {
        return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        throw new SealedValueError('authentication failed (wrong key or altered value)');
      }
    },
  };
}

const MASK = '***';

/** Replaces every occurrence of the given secret values (and their URL-encoded forms) in text. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])) {
      out = out.split(form).join(MASK);
    }
  }
  // LWA token shapes, even when we were not told the value (e.g. a token echoed in a body).
  return out.replace(/\b(Atza|Atzr|Atz\.sprdt)\|[A-Za-z0-9_\-|.=+/]+/g, `$1|${MASK}`).replace(/\bamzn1\.oa2-cs\.v1\.[A-Za-z0-9]+/g, `amzn1.oa2-cs.v1.${MASK}`);
}

const SENSITIVE_KEY = /token|secret|password|passwd|authori[sz]ation|cookie|credential|api[-_]?key|^code$|oauth|email|phone|address|postal|buyer|recipient/i;

/**
 * A copy of structured log fields with secret and PII-bearing keys masked and token-shaped
 * strings cut, at any depth. Use it on anything that may end up in a log line.
 */
export function redactLogFields(fields: Record<string, unknown>, secrets: readonly string[] = []): Record<string, unknown> {
  const walk = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return redactSecrets(value, secrets);
    if (depth > 6 || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SENSITIVE_KEY.test(k) && v !== undefined && v !== null ? MASK : walk(v, depth + 1);
    return out;
  };
  return walk(fields, 0) as Record<string, unknown>;
}
