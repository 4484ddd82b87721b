/**
 * AES-256-GCM payload codec: every payload Conduit writes to Temporal (inputs, results,
 * signals, queries, memos) is encrypted, so buyer PII and tokens never sit in plain text in
 * histories. The key id travels in metadata so keys can be rotated. Search attributes are not
 * payloads and carry no PII by design.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

const ENCODING = 'binary/encrypted';
const ENCRYPTION_KEY_ID = 'encryption-key-id';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class AesGcmPayloadCodec implements PayloadCodec {
  /** `keys` maps key id → 32-byte key; `currentKeyId` encrypts new payloads. */
  constructor(
    private readonly keys: Record<string, Buffer>,
    private readonly currentKeyId: string,
  ) {
    if (!keys[currentKeyId] || keys[currentKeyId]!.length !== 32) throw new ValueError(`encryption key "${currentKeyId}" must be 32 bytes`);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => ({
      metadata: {
        [METADATA_ENCODING_KEY]: encoder.encode(ENCODING),
        [ENCRYPTION_KEY_ID]: encoder.encode(this.currentKeyId),
      },
      data: this.encrypt(temporal.api.common.v1.Payload.encode(payload).finish()),
    }));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || decoder.decode(encoding) !== ENCODING) return payload;
      const keyIdBytes = payload.metadata?.[ENCRYPTION_KEY_ID];
      if (!keyIdBytes) throw new ValueError('encrypted payload has no key id');
      const keyId = decoder.decode(keyIdBytes);
      const key = this.keys[keyId];
      if (!key) throw new ValueError(`no key "${keyId}" to decrypt this payload; add it to CONDUIT_ENCRYPTION_KEY`);
      const plain = decrypt(key, payload.data ?? new Uint8Array());
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }

  private encrypt(data: Uint8Array): Uint8Array {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys[this.currentKeyId]!, iv);
    const body = Buffer.concat([cipher.update(data), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }
}

function decrypt(key: Buffer, data: Uint8Array): Buffer {
  const buf = Buffer.from(data);
  const decipher = createDecipheriv('aes-256-gcm', key, buf.subarray(0, 12));
  decipher.setAuthTag(buf.subarray(12, 28));
  return Buffer.concat([decipher.update(buf.subarray(28)), decipher.final()]);
}

/** The data converter options used by every client and worker. */
export function conduitDataConverter(key: Buffer, keyId: string) {
  return { payloadCodecs: [new AesGcmPayloadCodec({ [keyId]: key }, keyId)] };
}
