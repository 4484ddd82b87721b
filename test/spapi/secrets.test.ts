/** The sealer round-trips, refuses altered or relabelled values, and the redaction helpers cut secrets and PII. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { Sealer as ActivitySealer } from '../../activities/deps';
import { createSealer, redactLogFields, redactSecrets, SealedValueError, type Sealer } from '../../spapi/secrets';

// The sealer is what activities receive: the two interfaces must stay interchangeable.
const asActivitySealer: (s: Sealer) => ActivitySealer = (s) => s;
const asSpapiSealer: (s: ActivitySealer) => Sealer = (s) => s;
void asActivitySealer;
void asSpapiSealer;

const key = randomBytes(32);
const refreshToken = 'Atzr|IwEBIA-a-refresh-token-that-must-stay-secret';

test('seal → open round trip, in the enc:<keyId>:<base64> form the connections table accepts', () => {
  const sealer = createSealer(key, 'k1');
  const sealed = sealer.seal(refreshToken);
  assert.match(sealed, /^enc:k1:[A-Za-z0-9+/]+={0,2}$/);
  assert.ok(!sealed.includes('IwEBIA'));
  assert.equal(sealer.open(sealed), refreshToken);
  // A fresh IV each time: the same plaintext never seals to the same text.
  assert.notEqual(sealer.seal(refreshToken), sealed);
  assert.equal(sealer.open(sealer.seal('')), '');
  assert.equal(sealer.open(sealer.seal('Zoë — 東京')), 'Zoë — 東京');
});

test('any altered byte (iv, tag or ciphertext) is detected', () => {
  const sealer = createSealer(key, 'k1');
  const sealed = sealer.seal(refreshToken);
  const raw = Buffer.from(sealed.slice('enc:k1:'.length), 'base64');
  for (const index of [0, 11, 12, 27, 28, raw.length - 1]) {
    const tampered = Buffer.from(raw);
    tampered[index] = tampered[index]! ^ 0x01;
    assert.throws(() => sealer.open(`enc:k1:${tampered.toString('base64')}`), SealedValueError, `byte ${index}`);
  }
  assert.throws(() => sealer.open(`enc:k1:${raw.subarray(0, raw.length - 1).toString('base64')}`), SealedValueError);
});

test('a value cannot be relabelled to another key id, opened with the wrong key, or be plain text', () => {
  const k2 = randomBytes(32);
  const sealer = createSealer(key, 'k1', { k2 });
  const sealed = sealer.seal(refreshToken);
  assert.throws(() => sealer.open(sealed.replace('enc:k1:', 'enc:k2:')), SealedValueError);
  assert.throws(() => createSealer(randomBytes(32), 'k1').open(sealed), /authentication failed/);
  assert.throws(() => sealer.open(refreshToken), /enc:<keyId>/);
  assert.throws(() => sealer.open(sealed.replace('enc:k1:', 'enc:k9:')), /unknown key "k9"/);
  // Error messages never contain the plaintext.
  try {
    createSealer(randomBytes(32), 'k1').open(sealed);
  } catch (err) {
    assert.ok(!String(err).includes('IwEBIA'));
  }
});

test('key rotation: older keys still open, new values use the current key', () => {
  const old = randomBytes(32);
  const sealedWithOld = createSealer(old, 'k1').seal(refreshToken);
  const rotated = createSealer(randomBytes(32), 'k2', { k1: old });
  assert.equal(rotated.open(sealedWithOld), refreshToken);
  assert.match(rotated.seal(refreshToken), /^enc:k2:/);
});

test('keys must be 32 bytes and key ids plain', () => {
  assert.throws(() => createSealer(randomBytes(16), 'k1'), /32 bytes/);
  assert.throws(() => createSealer(key, 'has:colon'), /Key id/);
});

test('redactSecrets cuts listed values (also URL-encoded) and any LWA token shape', () => {
  const text = `refresh_token=${encodeURIComponent(refreshToken)} raw ${refreshToken} access Atza|IwEBAnAccessToken client amzn1.oa2-cs.v1.abcdef0123`;
  const out = redactSecrets(text, [refreshToken]);
  assert.doesNotMatch(out, /IwEBIA|IwEBAnAccessToken|abcdef0123/);
});

test('redactLogFields masks secret and PII keys at any depth and token-shaped strings anywhere', () => {
  const out = redactLogFields({
    connectionId: 'uk-acme',
    operation: 'getOrder',
    refreshToken,
    nested: { client_secret: 'shh', recipient: { name: 'Jo Bloggs' }, note: `token ${refreshToken}` },
    list: [{ buyerEmail: 'jo@example.com' }],
  });
  assert.equal(out.connectionId, 'uk-acme');
  assert.equal(out.operation, 'getOrder');
  const text = JSON.stringify(out);
  assert.doesNotMatch(text, /IwEBIA|shh|Jo Bloggs|jo@example\.com/);
});
