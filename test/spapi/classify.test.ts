/**
 * Every failure shape the adapter can meet (sp-api.md §3, §3.5), classified into the closed set.
 * Error bodies are the real ones from the reference and the models; client errors are real
 * amazon-sp-api CustomErrors; network errors come from real sockets.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { classifySpApiFailure, fieldNamedIn, type ClassifyContext, type HttpFailure } from '../../spapi/classify';
import { SpApiError } from '../../spapi/errors';
import { toApplicationFailure } from '../../spapi/temporal';

// amazon-sp-api does not export its error class; this is the class it throws.
const CustomError = require('amazon-sp-api/lib/CustomError') as new (err: Record<string, unknown>) => Error & Record<string, unknown>;

const REFRESH_TOKEN = 'Atzr|IwEBIJ-test-refresh-token-0123456789';
const CLIENT_SECRET = 'amzn1.oa2-cs.v1.0123456789abcdef';
const ctx = (over: Partial<ClassifyContext> = {}): ClassifyContext => ({
  operation: 'getOrder',
  connectionId: 'uk-acme',
  secrets: [REFRESH_TOKEN, CLIENT_SECRET],
  ...over,
});
const http_ = (statusCode: number, body?: { code?: string; message?: string; details?: string }, nonJsonBody = false): HttpFailure => ({
  kind: 'http',
  statusCode,
  ...body,
  ...(nonJsonBody ? { nonJsonBody } : {}),
});

test('429 QuotaExceeded is Throttled with the wait the limiter computed', () => {
  const err = classifySpApiFailure(
    http_(429, { code: 'QuotaExceeded', message: 'You exceeded your quota for the requested resource.', details: '' }),
    ctx({ retryAfterMs: 1234 }),
  );
  assert.equal(err.type, 'Throttled');
  assert.equal(err.details.retryAfterMs, 1234);
  assert.equal(err.details.httpStatus, 429);
  assert.equal(err.details.code, 'QuotaExceeded');
  assert.equal(err.retryable, true);
});

test('without a limiter, Throttled waits one restore interval of the usage plan', () => {
  // getOrder: 0.5 req/s → 2000 ms; searchOrders: 0.0056 req/s → 178572 ms.
  assert.equal(classifySpApiFailure(http_(429, { code: 'QuotaExceeded' }), ctx()).details.retryAfterMs, 2000);
  assert.equal(classifySpApiFailure(http_(429, { code: 'QuotaExceeded' }), ctx({ operation: 'searchOrders' })).details.retryAfterMs, 178572);
});

test('a QuotaExceeded CustomError (status lost by the client) is still Throttled', () => {
  const thrown = new CustomError({ code: 'QuotaExceeded', message: 'You exceeded your quota for the requested resource.' });
  assert.equal(classifySpApiFailure(thrown, ctx()).type, 'Throttled');
});

test('403 Unauthorized names the operation and the scope, for each of the four scopes', () => {
  const body = { code: 'Unauthorized', message: 'Access to requested resource is denied.', details: '' };
  const cases = [
    ['searchOrders', 'SELLING_PARTNER_INSIGHTS', 'Selling Partner Insights'],
    ['getInventorySummaries', 'FULFILMENT_INVENTORY', 'Fulfilment Inventory'],
    ['confirmShipment', 'ORDERS', 'Orders'],
    ['createFeed', 'FEEDS', 'Feeds'],
  ] as const;
  for (const [operation, scope, display] of cases) {
    const err = classifySpApiFailure(http_(403, body), ctx({ operation }));
    assert.equal(err.type, 'AccessDenied', operation);
    assert.equal(err.details.operation, operation);
    assert.equal(err.details.scope, scope);
    assert.equal(err.retryable, false);
    assert.match(err.message, new RegExp(display));
  }
});

test('a wrong-region token (403 Unauthorized, empty details) is AccessDenied, not a token problem', () => {
  const err = classifySpApiFailure(http_(403, { code: 'Unauthorized', message: 'Access to requested resource is denied.' }), ctx());
  assert.equal(err.type, 'AccessDenied');
});

test('403 with "access token … expired" is TokenExpired (and so is a revoked/invalid token or a 401)', () => {
  const expired = { code: 'Unauthorized', message: 'Access to requested resource is denied.', details: 'The access token you provided has expired.' };
  assert.equal(classifySpApiFailure(http_(403, expired), ctx()).type, 'TokenExpired');
  assert.equal(classifySpApiFailure(new CustomError(expired), ctx()).type, 'TokenExpired');
  const revoked = { ...expired, details: 'The access token you provided is revoked, malformed or invalid.' };
  assert.equal(classifySpApiFailure(http_(403, revoked), ctx()).type, 'TokenExpired');
  assert.equal(classifySpApiFailure(http_(401, {}), ctx()).type, 'TokenExpired');
  assert.equal(classifySpApiFailure(http_(403, expired), ctx()).retryable, true);
});

test('LWA invalid_grant is AccessDenied on refreshAccessToken: the seller must re-authorise', () => {
  const thrown = new CustomError({
    code: 'invalid_grant',
    message: "The request has an invalid grant parameter : refresh_token. User may have revoked or didn't grant the permission.",
  });
  const err = classifySpApiFailure(thrown, ctx({ operation: 'searchOrders' }));
  assert.equal(err.type, 'AccessDenied');
  assert.equal(err.details.operation, 'refreshAccessToken');
  assert.equal(err.details.scope, 'SELLING_PARTNER_INSIGHTS');
  assert.equal(err.details.code, 'invalid_grant');
  assert.match(err.message, /re-authorise/);
  assert.match(err.message, /while calling searchOrders/);
});

test('LWA invalid_grant on a code exchange stays on exchangeAuthorizationCode', () => {
  const thrown = new CustomError({ code: 'invalid_grant', message: 'The request has an invalid grant parameter : code' });
  const err = classifySpApiFailure(thrown, ctx({ operation: 'exchangeAuthorizationCode' }));
  assert.equal(err.type, 'AccessDenied');
  assert.equal(err.details.operation, 'exchangeAuthorizationCode');
});

test('LWA invalid_client points at the app credentials; server_error and unparsable LWA answers are Transient', () => {
  const client = classifySpApiFailure(new CustomError({ code: 'invalid_client', message: 'Client authentication failed' }), ctx());
  assert.equal(client.type, 'AccessDenied');
  assert.match(client.message, /SPAPI_CLIENT_SECRET/);
  assert.equal(classifySpApiFailure(new CustomError({ code: 'server_error', message: 'x' }), ctx()).type, 'Transient');
  assert.equal(
    classifySpApiFailure(new CustomError({ code: 'REFRESH_ACCESS_TOKEN_PARSE_ERROR', message: '<html>502 Bad Gateway</html>' }), ctx()).type,
    'Transient',
  );
  assert.equal(classifySpApiFailure(new CustomError({ code: 'UNKNOWN_REFRESH_ACCESS_TOKEN_ERROR', message: '{}' }), ctx()).type, 'BadResponse');
});

test('400 is InvalidInput and names the field when Amazon does', () => {
  const v0 = classifySpApiFailure(http_(400, { code: 'InvalidInput', message: 'Marketplace ID is not defined', details: '1001' }), ctx());
  assert.equal(v0.type, 'InvalidInput');
  assert.equal(v0.retryable, false);
  const named = classifySpApiFailure(
    http_(400, { code: 'InvalidInput', message: "Invalid 'createdAfter': the date must be in ISO 8601 format" }),
    ctx({ operation: 'searchOrders' }),
  );
  assert.equal(named.details.field, 'createdAfter');
  assert.match(named.message, /field createdAfter/);
  const spaced = classifySpApiFailure(http_(400, { code: 'Invalid Input', message: 'Invalid Input' }), ctx({ operation: 'confirmShipment' }));
  assert.equal(spaced.type, 'InvalidInput');
  assert.equal(spaced.details.field, undefined);
  // Without a status the code decides (the model sandbox codes).
  for (const code of ['InvalidInput', 'Invalid Input', 'InvalidRequest', 'BAD_REQUEST', '400']) {
    assert.equal(classifySpApiFailure(new CustomError({ code, message: 'Request is missing or has invalid parameters' }), ctx()).type, 'InvalidInput', code);
  }
});

test('404 is NotFound', () => {
  const err = classifySpApiFailure(http_(404, { code: 'NotFound', message: 'The requested order was not found.' }), ctx());
  assert.equal(err.type, 'NotFound');
  assert.equal(err.retryable, false);
  assert.equal(classifySpApiFailure(new CustomError({ code: 'NOT_FOUND', message: 'SKU not found' }), ctx()).type, 'NotFound');
});

test('5xx, a non-JSON 503 and JSON_PARSE_ERROR are Transient; the HTML body is not copied into the message', () => {
  assert.equal(classifySpApiFailure(http_(500, { code: 'InternalFailure', message: 'We encountered an internal error.' }), ctx()).type, 'Transient');
  const html = classifySpApiFailure(http_(503, {}, true), ctx());
  assert.equal(html.type, 'Transient');
  assert.equal(html.details.httpStatus, 503);
  const parse = classifySpApiFailure(new CustomError({ code: 'JSON_PARSE_ERROR', message: '<html><body>503 Service Unavailable</body></html>' }), ctx());
  assert.equal(parse.type, 'Transient');
  assert.doesNotMatch(parse.message, /<html>/);
  assert.equal(toApplicationFailure(parse).nonRetryable, false);
});

test('a 2xx whose body is not JSON is BadResponse', () => {
  const err = classifySpApiFailure(http_(200, {}, true), ctx());
  assert.equal(err.type, 'BadResponse');
  assert.equal(err.retryable, false);
});

test('client timeouts and network errors are Transient', () => {
  for (const code of ['API_RESPONSE_TIMEOUT', 'API_IDLE_TIMEOUT', 'API_DEADLINE_TIMEOUT']) {
    assert.equal(classifySpApiFailure(new CustomError({ code, message: 'No data received' }), ctx()).type, 'Transient', code);
  }
  for (const code of ['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']) {
    assert.equal(classifySpApiFailure(Object.assign(new Error(`connect ${code}`), { code }), ctx()).type, 'Transient', code);
  }
});

test('a real "socket hang up" from a server that drops the connection is Transient', async () => {
  const server = http.createServer((req) => req.socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const thrown = await new Promise<unknown>((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'GET', path: '/' }, () => resolve(new Error('unexpected response')));
    req.on('error', resolve);
    req.end();
  });
  server.close();
  assert.match(String((thrown as Error).message), /socket hang up/);
  assert.equal(classifySpApiFailure(thrown, ctx()).type, 'Transient');
});

test('document transfers: an expired pre-signed URL is Transient (a retry fetches a new URL), an unreadable document BadResponse', () => {
  const expired = new CustomError({ code: 'AccessDenied', message: 'Request has expired' });
  assert.equal(classifySpApiFailure(expired, ctx({ operation: 'getFeedDocument', documentTransfer: true })).type, 'Transient');
  const parse = new CustomError({ code: 'PARSE_ERROR', message: 'Could not parse result to JSON.' });
  assert.equal(classifySpApiFailure(parse, ctx({ operation: 'getReportDocument', documentTransfer: true })).type, 'BadResponse');
  const gunzip = Object.assign(new Error('incorrect header check'), { code: 'Z_DATA_ERROR' });
  assert.equal(classifySpApiFailure(gunzip, ctx({ operation: 'getReportDocument', documentTransfer: true })).type, 'BadResponse');
});

test('an SpApiError passes through unchanged; an unknown failure without status is Transient', () => {
  const original = new SpApiError('NotFound', 'x', { operation: 'getOrder', scope: 'SELLING_PARTNER_INSIGHTS', connectionId: 'c' });
  assert.equal(classifySpApiFailure(original, ctx()), original);
  assert.equal(classifySpApiFailure(new CustomError({ code: 'SomethingNew', message: 'new' }), ctx()).type, 'Transient');
});

test('secrets never reach the message, even when a failure echoes them', () => {
  const echoed = new CustomError({ code: 'invalid_grant', message: `refresh_token=${REFRESH_TOKEN}&client_secret=${CLIENT_SECRET}` });
  const err = classifySpApiFailure(echoed, ctx());
  assert.doesNotMatch(err.message, /IwEBIJ-test-refresh-token/);
  assert.doesNotMatch(err.message, /0123456789abcdef/);
  // Token-shaped strings are cut even when the caller did not list them.
  const stranger = classifySpApiFailure(http_(400, { code: 'InvalidInput', message: 'bad header Atza|IwEBSomeAccessToken123' }), ctx({ secrets: [] }));
  assert.doesNotMatch(stranger.message, /IwEBSomeAccessToken123/);
});

test('fieldNamedIn finds quoted names, "parameter X" and camelCase identifiers', () => {
  assert.equal(fieldNamedIn('Invalid "shipDate"'), 'shipDate');
  assert.equal(fieldNamedIn('Invalid value for parameter MaxResultsPerPage'), 'MaxResultsPerPage');
  assert.equal(fieldNamedIn('packageDetail.trackingNumber must not be blank'), 'packageDetail.trackingNumber');
  assert.equal(fieldNamedIn('marketplaceIds is required'), 'marketplaceIds');
  assert.equal(fieldNamedIn('Invalid input'), undefined);
  assert.equal(fieldNamedIn(undefined, 'CreatedAfter is in the future'), 'CreatedAfter');
});
