import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AmazonSimulator } from './simulator';
import type { SimDocument } from './state';

export const DOCUMENT_HOST = 'sim-docs.local';
const URL_TTL_SECONDS = 5 * 60;

export interface DocumentResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function basicIso(ms: number): string {
  return new Date(ms).toISOString().replace(/[:-]|\.\d{3}/g, '');
}

function parseBasicIso(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

function s3Error(status: number, code: string, message: string): DocumentResponse {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  return { status, headers: { 'content-type': 'application/xml' }, body: Buffer.from(xml) };
}

function normaliseContentType(value: string | undefined): string {
  return (value ?? '').toLowerCase().replace(/\s+/g, '');
}

/** Presigned-URL document storage (the S3 side of Feeds and Reports). */
export class DocumentStore {
  private readonly secret: string;

  constructor(private readonly sim: AmazonSimulator) {
    this.secret = sim.core.rng('tokens').hex(64);
  }

  private get core() {
    return this.sim.core;
  }

  create(sellerId: string, kind: SimDocument['kind'], contentType: string, content?: Buffer): SimDocument {
    const region = this.core.state.sellers.get(sellerId)?.region ?? 'eu';
    const rng = this.core.rng('ids');
    const doc: SimDocument = {
      documentId: `amzn1.tortuga.4.${region}.${rng.uuid()}.T${rng.alnumUpper(13)}`,
      sellerId,
      kind,
      contentType,
      content,
      createdAt: this.core.now(),
      uploadedAt: content ? this.core.now() : undefined,
    };
    this.core.state.documents.set(doc.documentId, doc);
    return doc;
  }

  get(documentId: string): SimDocument | undefined {
    return this.core.state.documents.get(documentId);
  }

  private sign(documentId: string, date: string, method: string): string {
    return createHmac('sha256', this.secret).update(`${method}\n${documentId}\n${date}`).digest('hex');
  }

  /** An https://sim-docs.local URL valid for 5 simulated minutes for `method`. */
  presign(doc: SimDocument, method: 'GET' | 'PUT'): string {
    const date = basicIso(this.core.now());
    const q = new URLSearchParams({
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Date': date,
      'X-Amz-Expires': String(URL_TTL_SECONDS),
      'X-Amz-SignedHeaders': method === 'PUT' ? 'content-type;host' : 'host',
      'X-Amz-Signature': this.sign(doc.documentId, date, method),
    });
    return `https://${DOCUMENT_HOST}/${encodeURIComponent(doc.documentId)}?${q.toString()}`;
  }

  /** Serves GET (download) and PUT (upload) on the document host. */
  handle(method: string, url: URL, contentType: string | undefined, body: Buffer): DocumentResponse {
    const documentId = decodeURIComponent(url.pathname.replace(/^\//, ''));
    const doc = this.get(documentId);
    if (!doc) return s3Error(404, 'NoSuchKey', 'The specified key does not exist.');
    if (method !== 'GET' && method !== 'PUT') return s3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    const date = url.searchParams.get('X-Amz-Date') ?? '';
    const signature = url.searchParams.get('X-Amz-Signature') ?? '';
    const expected = this.sign(doc.documentId, date, method);
    if (signature.length !== expected.length || !timingSafeEqual(Buffer.from(signature), Buffer.from(expected))) {
      return s3Error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
    }
    const signedAt = parseBasicIso(date);
    const expires = Number(url.searchParams.get('X-Amz-Expires') ?? URL_TTL_SECONDS);
    if (signedAt === undefined || this.core.now() > signedAt + expires * 1000) return s3Error(403, 'AccessDenied', 'Request has expired');
    if (method === 'PUT') {
      if (doc.kind !== 'feed-input') return s3Error(403, 'AccessDenied', 'Access Denied');
      // The content type is part of the signature, so it must match createFeedDocument's.
      if (normaliseContentType(contentType) !== normaliseContentType(doc.contentType)) {
        return s3Error(403, 'SignatureDoesNotMatch', `The request signature we calculated does not match the signature you provided. Content-Type must be ${doc.contentType}.`);
      }
      doc.content = body;
      doc.uploadedAt = this.core.now();
      return { status: 200, headers: { etag: `"${createHmac('md5', 'etag').update(body).digest('hex')}"` }, body: Buffer.alloc(0) };
    }
    if (!doc.content) return s3Error(404, 'NoSuchKey', 'The specified key does not exist.');
    const type = doc.kind === 'feed-input' ? doc.contentType : 'text/plain; charset=utf-8';
    return { status: 200, headers: { 'content-type': type }, body: doc.content };
  }
}

