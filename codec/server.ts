/**
 * Codec server: lets operators read Conduit's encrypted payloads in the Temporal Web UI.
 * Implements Temporal's remote-codec protocol (POST /encode, /decode with {payloads}) and
 * refuses any request without the token: either `Authorization: Bearer <token>` or the
 * token as a path prefix (`/t/<token>/decode`), because the Web UI cannot add a custom
 * header for a codec endpoint. Listens on loopback unless told otherwise.
 */
import http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { ConfigError, encryptionKey, loadConfig } from '../config';
import { exitWithClearError } from '../scripts/lib/cli-errors';
import { AesGcmPayloadCodec } from './payload-codec';

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface CodecServerOptions {
  codec: AesGcmPayloadCodec;
  token: string;
  port: number;
  host?: string;
  /** Origins allowed to call from a browser (the Web UI's origin). */
  corsOrigins?: string[];
}

export async function startCodecServer(opts: CodecServerOptions): Promise<{ url: string; endpoint: string; close(): Promise<void> }> {
  if (opts.token.length < 16) throw new Error('CODEC_SERVER_TOKEN must be at least 16 characters');
  const server = http.createServer((req, res) => {
    const origin = req.headers.origin;
    if (origin && (opts.corsOrigins ?? []).some((o) => o === '*' || o === origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    }
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    const url = new URL(req.url ?? '/', 'http://codec');
    if (req.method === 'GET' && url.pathname === '/health') return void res.writeHead(200).end('ok');
    let pathname = url.pathname;
    let authorised = false;
    const pathToken = /^\/t\/([^/]+)(\/.*)$/.exec(pathname);
    if (pathToken) {
      authorised = sameToken(pathToken[1]!, opts.token);
      pathname = pathToken[2]!;
    } else {
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
      authorised = bearer !== null && sameToken(bearer[1]!, opts.token);
    }
    if (!authorised) return void res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"error":"missing or wrong codec token"}');
    if (req.method !== 'POST' || (pathname !== '/decode' && pathname !== '/encode')) {
      return void res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"use POST /decode or /encode"}');
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { payloads?: JsonPayload[] };
          if (!Array.isArray(body.payloads)) throw new Error('body.payloads must be an array');
          const payloads = body.payloads.map(fromJson);
          const out = pathname === '/decode' ? await opts.codec.decode(payloads) : await opts.codec.encode(payloads);
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ payloads: out.map(toJson) }));
        } catch (err) {
          res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: (err as Error).message }));
        }
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === 'EADDRINUSE' ? `Port ${opts.port} for the codec server is already in use; set CODEC_SERVER_PORT` : err.message)),
    );
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as import('node:net').AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    endpoint: `${url}/t/${opts.token}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// Standalone: `npx tsx codec/server.ts` (docker-compose runs it this way).
if (require.main === module) {
  void (async () => {
    try {
      const config = loadConfig();
      const { key, keyId } = encryptionKey(config);
      if (!config.CODEC_SERVER_TOKEN) throw new ConfigError(['CODEC_SERVER_TOKEN: set a random token of at least 16 characters']);
      const server = await startCodecServer({
        codec: new AesGcmPayloadCodec({ [keyId]: key }, keyId),
        token: config.CODEC_SERVER_TOKEN,
        port: config.CODEC_SERVER_PORT,
        host: process.env.CODEC_SERVER_HOST ?? '127.0.0.1',
        corsOrigins: (process.env.CODEC_SERVER_CORS_ORIGIN ?? `http://127.0.0.1:${config.TEMPORAL_UI_PORT},http://localhost:${config.TEMPORAL_UI_PORT}`).split(','),
      });
      console.log(`codec server on ${server.url}`);
    } catch (err) {
      exitWithClearError(err);
    }
  })();
}
