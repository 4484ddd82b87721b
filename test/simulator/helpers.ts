import assert from 'node:assert/strict';
import https from 'node:https';
import { SellingPartner } from 'amazon-sp-api';
import { startSimulator, type SimulatorHandle, type SimulatorOptions } from '../../simulator/server';
import { SimulatorControl, type SimCatalogueItem } from '../../simulator/control-client';
import { SimulatorAgent } from '../../spapi/simulator-agent';
import { SP_API_OPERATIONS } from '../../simulator/operations';
import { formatIssues } from '../../simulator/model-validator';
import { ROLES } from '../../simulator/roles';

export const UK = 'A1F83G8C2ARO7P';
export const DE = 'A1PA6795UKMFR9';
export const US = 'ATVPDKIKX0DER';
export const SELLER = 'A2CONDUITSELLER';
export const APP = { clientId: 'amzn1.application-oa2-client.conduittest', clientSecret: 'conduit-test-secret' };

/** The roles Conduit asks for (reference §5: minimal set + the guide's naming). */
export const CONDUIT_ROLES = [
  ROLES.sellingPartnerInsights,
  ROLES.inventoryAndOrderTracking,
  ROLES.productListing,
  ROLES.directToConsumerShipping,
  ROLES.amazonFulfillment,
];

export const CATALOGUE: SimCatalogueItem[] = [
  { sku: 'MUG-BLUE', title: 'Blue mug', productType: 'HOME', price: 9.99, fbmQuantity: 40, fulfilment: 'FBM' },
  { sku: 'TEE-RED-M', title: 'Red tee (M)', productType: 'SHIRT', price: 15, fbaQuantity: 25, fulfilment: 'FBA' },
  { sku: 'LAMP-01', title: 'Desk lamp', productType: 'LAMP', price: 29.5, fbmQuantity: 12, fbaQuantity: 8, fulfilment: 'HYBRID' },
];

/** Loosely typed JSON from the client (tests assert on it and validate it against the models). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** The slice of amazon-sp-api's SellingPartner the tests use. */
export interface Sp {
  callAPI(params: Record<string, unknown>): Promise<Json>;
  exchange(code: string): Promise<Json>;
  refreshAccessToken(scope?: string): Promise<void>;
  upload(details: { url: string }, feed: { content: string; contentType: string }): Promise<Json>;
  download(details: { url: string; compressionAlgorithm?: string }, options?: { json?: boolean; unzip?: boolean }): Promise<Json>;
  readonly access_token: string;
}

export interface TestSim {
  handle: SimulatorHandle;
  control: SimulatorControl;
  refreshToken: string;
  client(refreshToken?: string, region?: 'eu' | 'na' | 'fe', credentials?: { clientId: string; clientSecret: string }): Sp;
  close(): Promise<void>;
}

/** A simulator with the test app and a UK seller (CATALOGUE, CONDUIT_ROLES) already seeded. */
export async function startTestSim(options: SimulatorOptions = {}, seller: { roles?: string[]; catalogue?: SimCatalogueItem[]; marketplaceIds?: string[] } = {}): Promise<TestSim> {
  const handle = await startSimulator({ seed: 42, recordExchanges: true, pendingSeconds: 60, ...options });
  const control = new SimulatorControl(handle.url);
  await control.registerApp(APP);
  const seeded = await control.seedSeller({
    sellerId: SELLER,
    region: 'eu',
    marketplaceIds: seller.marketplaceIds ?? [UK, DE],
    clientId: APP.clientId,
    roles: seller.roles ?? CONDUIT_ROLES,
    catalogue: seller.catalogue ?? CATALOGUE,
  });
  const refreshToken = seeded.refreshToken as string;
  return {
    handle,
    control,
    refreshToken,
    client: (token = refreshToken, region = 'eu', credentials = APP) => spClient(handle, token, region, credentials),
    close: () => handle.close(),
  };
}

/** The real amazon-sp-api client, routed to the simulator per Recipe A. */
export function spClient(handle: SimulatorHandle, refreshToken: string, region: 'eu' | 'na' | 'fe' = 'eu', credentials = APP): Sp {
  const client: unknown = new SellingPartner({
    region,
    refresh_token: refreshToken,
    credentials: { SELLING_PARTNER_APP_CLIENT_ID: credentials.clientId, SELLING_PARTNER_APP_CLIENT_SECRET: credentials.clientSecret },
    endpoints_versions: { orders: '2026-01-01', listingsItems: '2021-08-01' },
    options: { https_proxy_agent: new SimulatorAgent(handle.url), retry_remote_timeout: false, auto_request_throttled: false },
  });
  return client as Sp;
}

/** Awaits a client call expected to fail; returns the thrown error for assertions. */
export async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message?: string; details?: string } & Error> {
  try {
    await promise;
  } catch (err) {
    return err as { code?: string; message?: string; details?: string } & Error;
  }
  assert.fail('expected the call to fail');
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): unknown;
}

/** A hand-made HTTPS request through SimulatorAgent (any Host; lets tests see status and headers). */
export function rawRequest(handle: SimulatorHandle, input: { host: string; method: string; path: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { hostname: input.host, port: 443, method: input.method, path: input.path, headers: { ...(input.headers ?? {}), ...(input.body !== undefined ? { 'content-length': String(Buffer.byteLength(input.body)) } : {}) }, agent: new SimulatorAgent(handle.port) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as unknown });
        });
      },
    );
    req.on('error', reject);
    if (input.body !== undefined) req.write(input.body);
    req.end();
  });
}

/** Exchanges an LWA refresh token for an access token directly (for raw SP-API requests). */
export async function accessToken(handle: SimulatorHandle, refreshToken: string): Promise<string> {
  const res = await rawRequest(handle, {
    host: 'api.amazon.com',
    method: 'POST',
    path: '/auth/o2/token',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: APP.clientId, client_secret: APP.clientSecret }),
  });
  assert.equal(res.status, 200, res.text);
  return (res.json() as { access_token: string }).access_token;
}

/**
 * Every recorded request/response pair must match Amazon's model: the response body against the
 * schema declared for its status, and accepted request bodies against the operation's body schema.
 */
export function assertExchangesConform(handle: SimulatorHandle): number {
  const models = handle.sim.core.models;
  const problems: string[] = [];
  let checked = 0;
  for (const exchange of handle.state.exchanges) {
    if (exchange.fault) continue;
    const op = SP_API_OPERATIONS.find((o) => o.key === exchange.operation);
    if (!op) continue;
    const model = models.operation(op.model, op.operationId);
    const declared = models.declaredStatuses(model);
    if (!declared.includes(exchange.status)) problems.push(`${exchange.operation} answered ${exchange.status}, which its model does not declare (${declared.join(', ')})`);
    const body = exchange.responseBody === undefined ? undefined : (JSON.parse(JSON.stringify(exchange.responseBody)) as unknown);
    const issues = models.validateResponse(model, exchange.status, body);
    if (issues.length > 0) problems.push(`${exchange.operation} ${exchange.status} response: ${formatIssues(issues)}`);
    // Listings submissions rejected with status INVALID (HTTP 200) did not accept their body.
    const rejected = (body as { status?: unknown } | undefined)?.status === 'INVALID';
    if (exchange.status >= 200 && exchange.status < 300 && exchange.requestBody !== undefined && !rejected) {
      const requestIssues = models.validateRequestBody(model, exchange.requestBody);
      if (requestIssues.length > 0) problems.push(`${exchange.operation} accepted a request body that violates the model: ${formatIssues(requestIssues)}`);
    }
    checked++;
  }
  assert.deepEqual(problems, [], problems.join('\n'));
  return checked;
}

export function isoMinutesAgo(handle: SimulatorHandle, minutes: number): string {
  return new Date(handle.sim.core.clock.now() - minutes * 60_000).toISOString();
}

/** Polls `probe` (real time) until it returns a truthy value. */
export async function eventually<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 5000, stepMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
