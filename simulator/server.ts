import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AmazonSimulator } from './simulator';
import type { SimulatorOptions } from './core';
import { ApiError, accessDenied, invalidInput } from './api-error';
import { SP_API_OPERATIONS, type OperationContext, type OperationResult, type SpApiOperation } from './operations';
import { handleControl } from './control';
import { TokenBucket } from './usage-plans';
import { GRANTLESS_SCOPES } from './auth';
import type { ModelParameter } from './model-validator';
import { formatIssues } from './model-validator';
import type { Region } from './marketplaces';
import type { Exchange, FaultRule, OperationStats, Seller, SimState } from './state';

export type { SimulatorOptions } from './core';

export interface SimulatorHandle {
  /** http://127.0.0.1:PORT — control API base and SimulatorAgent target. */
  url: string;
  port: number;
  close(): Promise<void>;
  /** The live in-memory state (for in-process tests). Replaced wholesale by a reset. */
  readonly state: SimState;
  /** The simulator engine itself (clock, services), for in-process tests. */
  sim: AmazonSimulator;
}

const MAX_BODY_BYTES = 50 * 1024 * 1024;
const MAX_EXCHANGES = 5000;
const SP_API_HOST = /^(sandbox\.)?sellingpartnerapi-(eu|na|fe)\.amazon\.com$/;
const LWA_HOST = 'api.amazon.com';
const DIRECT_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

interface Route {
  op: SpApiOperation;
  method: string;
  segments: { literal?: string; param?: string }[];
  parameters: ModelParameter[];
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function hostOf(req: http.IncomingMessage): string {
  const raw = (req.headers.host ?? '').toLowerCase();
  if (raw.startsWith('[')) return raw.slice(0, raw.indexOf(']') + 1);
  return raw.replace(/:\d+$/, '');
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: Buffer.from(body === undefined ? '' : JSON.stringify(body)) };
}

function readBody(req: http.IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function formatRate(rate: number): string {
  return String(Number(rate.toPrecision(6)));
}

/** Coerces and checks query parameters against the model's parameter list. */
function parseQuery(parameters: ModelParameter[], search: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of parameters) {
    if (p.in !== 'query') continue;
    const raw = search.getAll(p.name);
    if (raw.length === 0 || (raw.length === 1 && raw[0] === '')) {
      if (p.required) throw invalidInput(`Missing required parameter: ${p.name}.`);
      continue;
    }
    if (p.type === 'array') {
      const values = raw.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
      if (p.minItems !== undefined && values.length < p.minItems) throw invalidInput(`Invalid ${p.name}: at least ${p.minItems} value(s) required.`);
      if (p.maxItems !== undefined && values.length > p.maxItems) throw invalidInput(`Invalid ${p.name}: at most ${p.maxItems} value(s) allowed, got ${values.length}.`);
      const allowed = p.items?.enum;
      for (const v of values) {
        if (allowed && !allowed.includes(v)) throw invalidInput(`Invalid ${p.name}: ${v} is not one of ${allowed.join(', ')}.`);
      }
      out[p.name] = values;
      continue;
    }
    const value = raw[raw.length - 1] as string;
    if (p.type === 'integer') {
      if (!/^-?\d+$/.test(value)) throw invalidInput(`Invalid ${p.name}: ${value} is not an integer.`);
      const n = Number(value);
      if (p.minimum !== undefined && n < p.minimum) throw invalidInput(`Invalid ${p.name}: must be >= ${p.minimum}.`);
      if (p.maximum !== undefined && n > p.maximum) throw invalidInput(`Invalid ${p.name}: must be <= ${p.maximum}.`);
      out[p.name] = n;
    } else if (p.type === 'boolean') {
      if (value !== 'true' && value !== 'false') throw invalidInput(`Invalid ${p.name}: ${value} is not true or false.`);
      out[p.name] = value === 'true';
    } else {
      if (p.enum && !p.enum.includes(value)) throw invalidInput(`Invalid ${p.name}: ${value} is not one of ${p.enum.join(', ')}.`);
      out[p.name] = value;
    }
  }
  return out;
}

/** The HTTP face of the simulator: Host-based dispatch to LWA, SP-API, document storage or /_sim/. */
class SimulatorServer {
  private readonly routes: Route[];
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(readonly sim: AmazonSimulator) {
    this.routes = SP_API_OPERATIONS.map((op) => {
      const model = sim.core.models.operation(op.model, op.operationId);
      return {
        op,
        method: model.method,
        segments: model.path.split('/').slice(1).map((s) => (s.startsWith('{') ? { param: s.slice(1, -1) } : { literal: s })),
        parameters: sim.core.models.parameters(model),
      };
    });
  }

  resetBuckets(): void {
    this.buckets.clear();
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const sim = this.sim;
    sim.core.processDue();
    const host = hostOf(req);
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    if (raw === 'too-large') {
      this.send(res, json(413, { errors: [{ code: 'RequestEntityTooLarge', message: 'The request body is too large.', details: '' }] }));
      return;
    }

    if (DIRECT_HOSTS.has(host)) {
      if (!url.pathname.startsWith('/_sim/') && url.pathname !== '/_sim') {
        this.send(res, json(404, { error: `path: ${url.pathname} is not served on 127.0.0.1; the control API lives under /_sim/ and SP-API calls need an Amazon Host header (use SimulatorAgent)` }));
        return;
      }
      let body: unknown;
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          this.send(res, json(400, { error: 'body: is not valid JSON' }));
          return;
        }
      }
      const result = handleControl(sim, method, url, body);
      if (url.pathname.startsWith('/_sim/reset') && result.status === 200) this.resetBuckets();
      this.send(res, json(result.status, result.body));
      return;
    }

    const requestId = sim.core.rng('requests').uuid();
    if (host === LWA_HOST) {
      await this.withFaults(req, res, 'lwa.token', undefined, requestId, () => this.lwa(method, url, req, raw, requestId));
      return;
    }
    const spapi = SP_API_HOST.exec(host);
    if (spapi) {
      await this.spApi(req, res, spapi[2] as Region, method, url, raw, requestId);
      return;
    }
    await this.withFaults(req, res, 'documents', undefined, requestId, () => {
      const r = sim.documents.handle(method, url, req.headers['content-type'], raw);
      return { status: r.status, headers: { ...r.headers, 'x-amz-request-id': requestId.replace(/-/g, '').slice(0, 16).toUpperCase() }, body: r.body };
    });
  }

  private lwa(method: string, url: URL, req: http.IncomingMessage, raw: Buffer, requestId: string): Reply {
    if (method !== 'POST' || url.pathname !== '/auth/o2/token') {
      return json(404, { error: 'invalid_request', error_description: `Unknown LWA endpoint ${method} ${url.pathname}` }, { 'x-amzn-RequestId': requestId });
    }
    const text = raw.toString('utf8');
    let params: Record<string, string> = {};
    const type = String(req.headers['content-type'] ?? '');
    try {
      if (type.includes('application/x-www-form-urlencoded')) params = Object.fromEntries(new URLSearchParams(text));
      else if (text.trim() !== '') {
        const parsed = JSON.parse(text) as unknown;
        if (typeof parsed === 'object' && parsed !== null) {
          params = Object.fromEntries(Object.entries(parsed as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
        }
      }
    } catch {
      // Try form encoding as a fallback: some clients send forms without a content type.
      params = Object.fromEntries(new URLSearchParams(text));
    }
    let basic: { id: string; secret: string } | undefined;
    const authz = req.headers.authorization;
    if (authz?.startsWith('Basic ')) {
      const [id, secret] = Buffer.from(authz.slice(6), 'base64').toString('utf8').split(':');
      if (id && secret) basic = { id, secret };
    }
    const result = this.sim.auth.token(params, basic);
    return json(result.status, result.body, { 'cache-control': 'no-store', 'x-amzn-RequestId': requestId });
  }

  private match(method: string, pathname: string): { route: Route; pathParams: Record<string, string> } | undefined {
    const parts = pathname.split('/').slice(1);
    for (const route of this.routes) {
      if (route.method !== method || route.segments.length !== parts.length) continue;
      const pathParams: Record<string, string> = {};
      let ok = true;
      route.segments.forEach((seg, i) => {
        const part = parts[i] as string;
        if (seg.literal !== undefined) ok &&= seg.literal === part;
        else {
          let decoded: string;
          try {
            decoded = decodeURIComponent(part);
          } catch {
            decoded = part;
          }
          ok &&= decoded !== '';
          pathParams[seg.param as string] = decoded;
        }
      });
      if (ok) return { route, pathParams };
    }
    return undefined;
  }

  private count(key: string, status: number, fault = false): OperationStats {
    let stats = this.sim.state.stats.get(key);
    if (!stats) {
      stats = { calls: 0, byStatus: {}, throttled: 0, denied: 0, faults: 0 };
      this.sim.state.stats.set(key, stats);
    }
    stats.calls++;
    stats.byStatus[String(status)] = (stats.byStatus[String(status)] ?? 0) + 1;
    if (status === 429) stats.throttled++;
    if (status === 403) stats.denied++;
    if (fault) stats.faults++;
    return stats;
  }

  private record(exchange: Exchange): void {
    if (!this.sim.core.options.recordExchanges) return;
    const log = this.sim.state.exchanges;
    log.push(exchange);
    if (log.length > MAX_EXCHANGES) log.splice(0, log.length - MAX_EXCHANGES);
  }

  private async spApi(req: http.IncomingMessage, res: http.ServerResponse, region: Region, method: string, url: URL, raw: Buffer, requestId: string): Promise<void> {
    const sim = this.sim;
    const matched = this.match(method, url.pathname);
    const baseHeaders = { 'x-amzn-RequestId': requestId };
    if (!matched) {
      this.count('unknown', 404);
      this.send(res, json(404, { errors: [{ code: 'NotFound', message: `Resource not found: ${method} ${url.pathname}`, details: '' }] }, baseHeaders));
      return;
    }
    const { route, pathParams } = matched;
    const op = route.op;
    const plan = sim.plans.get(op.key);
    const headers = { ...baseHeaders, 'x-amzn-RateLimit-Limit': formatRate((plan?.rate ?? 1) * sim.core.clock.timeScale) };
    let requestBody: unknown;
    const exchange: Exchange = { at: sim.core.now(), requestId, operation: op.key, method, path: url.pathname, status: 0 };
    const fail = (err: ApiError): void => {
      exchange.status = err.status;
      exchange.responseBody = err.toBody();
      this.count(op.key, err.status);
      this.record(exchange);
      this.send(res, json(err.status, err.toBody(), headers));
    };

    let ctx: OperationContext;
    try {
      const token = req.headers['x-amz-access-token'];
      const caller = sim.auth.authenticate(Array.isArray(token) ? token[0] : token, region, method, url.pathname);
      if (op.auth === 'grantless') {
        if (caller.token.kind !== 'grantless' || caller.token.scope !== GRANTLESS_SCOPES[0]) throw accessDenied('');
      } else {
        if (caller.token.kind === 'grantless' || !caller.seller || !caller.authorisation) throw accessDenied('');
        const roles = new Set(caller.authorisation.roles);
        if (op.roles && !op.roles.some((r) => roles.has(r))) throw accessDenied('');
      }
      if (sim.core.options.rateLimits && plan) {
        const bucketKey = `${caller.seller?.sellerId ?? 'grantless'}|${caller.app.clientId}|${op.key}`;
        let bucket = this.buckets.get(bucketKey);
        if (!bucket) {
          bucket = new TokenBucket(plan, sim.core.now());
          this.buckets.set(bucketKey, bucket);
        }
        if (!bucket.tryTake(sim.core.now())) throw new ApiError(429, 'QuotaExceeded', 'You exceeded your quota for the requested resource.', '');
      }
      const params = parseQuery(route.parameters, url.searchParams);
      if (raw.length > 0) {
        try {
          requestBody = JSON.parse(raw.toString('utf8'));
        } catch {
          throw invalidInput('Request has missing or invalid parameters and cannot be parsed.', 'The request body is not valid JSON.');
        }
      }
      exchange.requestBody = requestBody;
      if (op.validateBody) {
        if (requestBody === undefined) throw invalidInput('Request has missing or invalid parameters and cannot be parsed.', 'A JSON request body is required.');
        const issues = sim.core.models.validateRequestBody(sim.core.models.operation(op.model, op.operationId), requestBody);
        if (issues.length > 0) throw invalidInput('Request has missing or invalid parameters and cannot be parsed.', formatIssues(issues).replace(/\$/g, 'body'));
      }
      const placeholder: Seller = { sellerId: '', region, marketplaceIds: [], storeName: '', mws: { enabled: false, delaySeconds: 0 }, createdAt: 0 };
      ctx = { sim, caller, seller: caller.seller ?? placeholder, region, method, path: url.pathname, pathParams, params, body: requestBody };
    } catch (err) {
      if (err instanceof ApiError) return fail(err);
      throw err;
    }

    await this.withFaults(req, res, op.key, ctx.seller.sellerId || undefined, requestId, (): Reply => {
      let result: OperationResult;
      try {
        result = op.handler(ctx);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        exchange.status = err.status;
        exchange.responseBody = err.toBody();
        this.record(exchange);
        return json(err.status, err.toBody(), headers);
      }
      exchange.status = result.status;
      exchange.responseBody = result.body;
      this.record(exchange);
      return json(result.status, result.body, headers);
    }, headers, exchange);
  }

  /** Runs `produce` under the fault rules for `operation` and sends the (possibly broken) reply. */
  private async withFaults(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    operation: string,
    sellerId: string | undefined,
    requestId: string,
    produce: () => Reply,
    headers: Record<string, string> = { 'x-amzn-RequestId': requestId },
    exchange?: Exchange,
  ): Promise<void> {
    const fault: FaultRule | undefined = this.sim.pickFault(operation, sellerId);
    const note = (status: number, what: string): void => {
      this.count(operation, status, true);
      if (exchange) {
        exchange.fault = what;
        exchange.status = status;
        if (!this.sim.state.exchanges.includes(exchange)) this.record(exchange);
      }
    };
    if (fault?.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    const before = fault && !fault.afterHandler && fault.kind !== 'slow' && fault.kind !== 'malformedJson';
    if (before && fault) {
      this.sendFault(req, res, fault, headers, note);
      return;
    }
    let reply: Reply;
    try {
      reply = produce();
    } catch (err) {
      console.error(`[simulator] ${operation} failed:`, err);
      reply = json(500, { errors: [{ code: 'InternalFailure', message: 'We encountered an internal error. Please try again.', details: '' }] }, headers);
    }
    if (fault && fault.kind !== 'slow') {
      if (fault.kind === 'malformedJson') {
        const text = reply.body.length > 2 ? reply.body.toString('utf8') : '{"payload":{"status":"ok"}}';
        const truncated = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
        note(200, 'malformedJson');
        this.send(res, { status: 200, headers: { ...reply.headers, 'content-type': 'application/json' }, body: Buffer.from(truncated) });
        return;
      }
      this.sendFault(req, res, fault, headers, note);
      return;
    }
    this.count(operation, reply.status, fault?.kind === 'slow');
    this.send(res, reply);
  }

  private sendFault(req: http.IncomingMessage, res: http.ServerResponse, fault: FaultRule, headers: Record<string, string>, note: (status: number, what: string) => void): void {
    switch (fault.kind) {
      case 'internalFailure':
        note(500, 'internalFailure');
        this.send(res, json(500, { errors: [{ code: 'InternalFailure', message: 'We encountered an internal error. Please try again.', details: '' }] }, headers));
        return;
      case 'serviceUnavailable':
        note(503, 'serviceUnavailable');
        this.send(res, {
          status: 503,
          headers: { ...headers, 'content-type': 'text/html' },
          body: Buffer.from('<html><head><title>503 Service Unavailable</title></head><body><h1>503 Service Unavailable</h1></body></html>'),
        });
        return;
      case 'dropConnection':
        note(0, 'dropConnection');
        req.socket.destroy();
        return;
      default:
        return;
    }
  }

  private send(res: http.ServerResponse, reply: Reply): void {
    if (res.destroyed) return;
    const headers: Record<string, string | number> = { ...reply.headers, 'content-length': reply.body.length };
    res.writeHead(reply.status, headers);
    res.end(reply.body);
  }
}

/** Starts the simulated Amazon on 127.0.0.1. */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const sim = new AmazonSimulator(opts);
  const server = new SimulatorServer(sim);
  const http1 = http.createServer((req, res) => {
    server.handle(req, res).catch((err: unknown) => {
      console.error('[simulator] request failed:', err);
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'InternalFailure', message: 'We encountered an internal error. Please try again.', details: '' }] }));
      }
    });
  });
  http1.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    http1.once('error', reject);
    http1.listen(sim.core.options.port, '127.0.0.1', () => resolve());
  });
  const ticker = setInterval(() => sim.core.processDue(), 20);
  ticker.unref();
  const port = (http1.address() as AddressInfo).port;
  let closed = false;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    sim,
    get state() {
      return sim.state;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(ticker);
      sim.close();
      await new Promise<void>((resolve) => {
        http1.close(() => resolve());
        http1.closeAllConnections();
      });
    },
  };
}
