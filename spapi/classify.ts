/**
 * The one place that turns an SP-API failure into the closed set of SpApiError types.
 *
 * Input is whatever reached the adapter: an HTTP failure the adapter saw itself (it calls
 * amazon-sp-api with `raw_result: true`, so it has the status code — see docs/spapi.md), a
 * `CustomError` thrown by amazon-sp-api (LWA errors, JSON_PARSE_ERROR, timeouts, document
 * up/download errors: `code`, `message`, `details`, no status), or a Node network error
 * (ECONNRESET, ETIMEDOUT, "socket hang up"). With a status the status decides; without one the
 * code does. Known secrets are cut out of every message before it leaves this module.
 */
import { scopeDisplayName, scopeForOperation, type Scope, type SpApiOperation } from '../domain/scopes';
import { SpApiError, type SpApiErrorDetails, type SpApiErrorType } from './errors';
import { redactSecrets } from './secrets';
import { restoreIntervalMs, usagePlanFor } from './usage-plans';

/** An error response the adapter received (raw mode keeps the status amazon-sp-api would drop). */
export interface HttpFailure {
  kind: 'http';
  statusCode: number;
  /** errors[0] of the body, when the body was an SP-API error envelope. */
  code?: string;
  message?: string;
  details?: string;
  /** The body was not JSON (e.g. an HTML 503 page from an edge). */
  nonJsonBody?: boolean;
}

export interface ClassifyContext {
  operation: SpApiOperation;
  connectionId: string;
  /** Overrides scopeForOperation(operation), e.g. for a report type. */
  scope?: Scope;
  /** Throttled: ms until the bucket has a token again (the limiter knows); else 1/rate of the usage plan. */
  retryAfterMs?: number;
  /** The failure came from a pre-signed document URL (S3), not an SP-API operation. */
  documentTransfer?: boolean;
  /** Values that must never appear in a message (refresh token, client secret, access token, auth code). */
  secrets?: readonly string[];
}

/** Node / undici socket errors: the request may not have reached Amazon, retrying is safe. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'ESOCKETTIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** amazon-sp-api's own timeout codes (options.timeouts). */
const CLIENT_TIMEOUT_CODES = new Set(['API_RESPONSE_TIMEOUT', 'API_IDLE_TIMEOUT', 'API_DEADLINE_TIMEOUT']);

/** LWA (api.amazon.com/auth/o2/token) OAuth error codes, sp-api.md §3.4. */
const LWA_ACCESS_CODES = new Set(['invalid_grant', 'unauthorized_client', 'access_denied', 'invalid_scope', 'invalid_client']);
const LWA_TRANSIENT_CODES = new Set(['server_error', 'temporarily_unavailable']);
const LWA_INPUT_CODES = new Set(['invalid_request', 'unsupported_grant_type']);
const LWA_PARSE_CODES = new Set(['REFRESH_ACCESS_TOKEN_PARSE_ERROR', 'EXCHANGE_AUTH_CODE_PARSE_ERROR']);

/** Codes amazon-sp-api throws before sending anything: our call was malformed. */
const CLIENT_INPUT_CODES = new Set([
  'NO_PATH_FOUND',
  'REQUIRED_PATH_PARAMETER_NOT_FOUND',
  'INVALID_PATH_PARAMETER_VALUE',
  'NO_AUTH_CODE_PROVIDED',
  'NO_FEED_CONTENT_PROVIDED',
  'NO_FEED_CONTENT_TYPE_PROVIDED',
  'DOCUMENT_INFORMATION_MISSING',
  'NO_VALID_REGION_PROVIDED',
  'NO_REFRESH_TOKEN_PROVIDED',
  'CREDENTIALS_MISSING',
  'INVALID_OPERATION_FOR_ENDPOINT',
  'OPERATION_NOT_FOUND_FOR_VERSION',
  'ENDPOINT_NOT_FOUND',
]);

/** Codes seen on SP-API error bodies (not a closed set, sp-api.md §3.1), grouped by meaning. */
const INPUT_CODES = new Set(['InvalidInput', 'Invalid Input', 'InvalidRequest', 'BAD_REQUEST', 'InvalidParameterValue', 'BadRequest', '400']);
const NOT_FOUND_CODES = new Set(['NotFound', 'NOT_FOUND', 'ResourceNotFound', 'ResourceNotFoundException', '404']);
const SERVER_CODES = new Set(['InternalFailure', 'InternalServerError', 'ServiceUnavailable', 'InternalError', 'SlowDown', 'RequestTimeout', '500', '503']);
/** Document bodies that could not be decoded are the server's fault and will not get better. */
const DOCUMENT_BAD_CODES = new Set(['PARSE_ERROR', 'DECODE_ERROR', 'UNKNOWN_ZIP_STANDARD', 'Z_DATA_ERROR', 'Z_BUF_ERROR']);

/** 403 details amazon-sp-api and Amazon use for an access token that a refresh can fix. */
const EXPIRED_TOKEN = /access token.*expired/i;
const BAD_TOKEN = /access token.*(revoked|malformed|invalid|missing)/i;

interface Facts {
  status?: number;
  code?: string;
  message?: string;
  details?: string;
  nonJsonBody?: boolean;
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function factsOf(failure: unknown): Facts {
  if (failure && typeof failure === 'object') {
    const f = failure as Record<string, unknown>;
    if (f.kind === 'http' && typeof f.statusCode === 'number') {
      const http = failure as HttpFailure;
      return { status: http.statusCode, code: http.code, message: http.message, details: http.details, nonJsonBody: http.nonJsonBody };
    }
    // CustomError puts arbitrary props on itself; the XML-parsed S3 message can be an object.
    return { code: str(f.code), message: str(f.message), details: str(f.details) };
  }
  return { message: typeof failure === 'string' ? failure : undefined };
}

/**
 * The field an InvalidInput names: a quoted identifier, "parameter X", or a camelCase /
 * PascalCase-with-dot identifier in Amazon's message or details. Undefined if none is named.
 */
export function fieldNamedIn(...texts: Array<string | undefined>): string | undefined {
  for (const text of texts) {
    if (!text) continue;
    const quoted = /["'`]([A-Za-z_][\w.[\]-]*)["'`]/.exec(text);
    if (quoted?.[1]) return quoted[1];
    const parameter = /\bparam(?:eter)?s?\s*(?:value\s+)?(?:for\s+)?[:=]?\s*([A-Za-z_][\w.[\]]*)/i.exec(text);
    if (parameter?.[1] && !/^(is|are|was|value|must|the|a|an)$/i.test(parameter[1])) return parameter[1];
    const camel = /\b([a-z]+[A-Z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*)\b/.exec(text);
    if (camel?.[1]) return camel[1];
    const dotted = /\b([A-Za-z][A-Za-z0-9]*\.[A-Za-z][A-Za-z0-9.]*)\b/.exec(text);
    if (dotted?.[1] && !/^(www|https?)/i.test(dotted[1])) return dotted[1];
    const pascal = /\b([A-Z][a-z]+(?:[A-Z][a-z0-9]+)+)\b/.exec(text);
    if (pascal?.[1] && !INPUT_CODES.has(pascal[1]) && !/^(InvalidInput|BadRequest|QuotaExceeded)$/.test(pascal[1])) return pascal[1];
  }
  return undefined;
}

function typeFor(f: Facts, ctx: ClassifyContext): { type: SpApiErrorType; lwa?: boolean } {
  const code = f.code ?? '';
  if (ctx.documentTransfer) {
    if (DOCUMENT_BAD_CODES.has(code)) return { type: 'BadResponse' };
    if (f.status === 404 || code === 'NoSuchKey') return { type: 'NotFound' };
    // Expired or bad pre-signed URL, S3 5xx, network: the port method fetches a new URL on retry.
    return { type: 'Transient' };
  }
  if (LWA_ACCESS_CODES.has(code)) return { type: 'AccessDenied', lwa: true };
  if (LWA_TRANSIENT_CODES.has(code) || LWA_PARSE_CODES.has(code)) return { type: 'Transient', lwa: true };
  if (LWA_INPUT_CODES.has(code)) return { type: 'InvalidInput', lwa: true };
  if (code === 'UNKNOWN_REFRESH_ACCESS_TOKEN_ERROR') return { type: 'BadResponse', lwa: true };
  if (NETWORK_CODES.has(code) || CLIENT_TIMEOUT_CODES.has(code) || /socket hang up/i.test(f.message ?? '')) return { type: 'Transient' };
  if (CLIENT_INPUT_CODES.has(code)) return { type: 'InvalidInput' };

  const status = f.status;
  if (status !== undefined && (status < 200 || status >= 300)) {
    if (status === 429) return { type: 'Throttled' };
    if (status === 401) return { type: 'TokenExpired' };
    if (status === 403) return EXPIRED_TOKEN.test(f.details ?? '') || BAD_TOKEN.test(f.details ?? '') ? { type: 'TokenExpired' } : { type: 'AccessDenied' };
    if (status === 404) return { type: 'NotFound' };
    if (status === 408) return { type: 'Transient' };
    if (status >= 500) return { type: 'Transient' };
    if (f.nonJsonBody) return { type: 'Transient' };
    return { type: 'InvalidInput' };
  }
  // A non-JSON body with a 2xx status is a broken response; without a status (amazon-sp-api's
  // JSON_PARSE_ERROR) it is almost always an edge's HTML 5xx page.
  if (f.nonJsonBody) return { type: 'BadResponse' };
  if (code === 'JSON_PARSE_ERROR') return { type: 'Transient' };
  if (code === 'QuotaExceeded') return { type: 'Throttled' };
  if (code === 'Unauthorized') return EXPIRED_TOKEN.test(f.details ?? '') ? { type: 'TokenExpired' } : { type: 'AccessDenied' };
  if (INPUT_CODES.has(code)) return { type: 'InvalidInput' };
  if (NOT_FOUND_CODES.has(code)) return { type: 'NotFound' };
  if (SERVER_CODES.has(code)) return { type: 'Transient' };
  // Unknown failure without a status: retry with backoff rather than give up on a guess.
  return { type: 'Transient' };
}

function clip(text: string | undefined, max = 200): string | undefined {
  if (text === undefined) return undefined;
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

function describe(f: Facts): string {
  if (f.nonJsonBody) return `HTTP ${f.status ?? '?'} with a body that is not JSON`;
  if (f.code === 'JSON_PARSE_ERROR') return 'a response body that is not JSON';
  const parts = [f.status !== undefined ? `HTTP ${f.status}` : undefined, f.code, clip(f.message), clip(f.details)].filter(
    (p): p is string => p !== undefined && p !== '',
  );
  return parts.length > 0 ? parts.join(' ') : 'an unrecognised failure';
}

/** Turns any failure from an SP-API/LWA call into an SpApiError of the closed set. */
export function classifySpApiFailure(failure: unknown, ctx: ClassifyContext): SpApiError {
  if (failure instanceof SpApiError) return failure;
  const f = factsOf(failure);
  const { type, lwa } = typeFor(f, ctx);
  const operation: SpApiOperation = lwa && ctx.operation !== 'exchangeAuthorizationCode' ? 'refreshAccessToken' : ctx.operation;
  const scope = lwa ? scopeForOperation(operation) : (ctx.scope ?? scopeForOperation(operation));
  const details: SpApiErrorDetails = { operation, scope, connectionId: ctx.connectionId };
  if (f.status !== undefined) details.httpStatus = f.status;
  if (f.code !== undefined && /^[\w .:-]{1,64}$/.test(f.code)) details.code = f.code;

  const what = describe(f);
  const during = operation !== ctx.operation ? ` (while calling ${ctx.operation})` : '';
  let message: string;
  switch (type) {
    case 'Throttled': {
      const plan = usagePlanFor(ctx.operation);
      details.retryAfterMs = ctx.retryAfterMs ?? (plan ? restoreIntervalMs(plan) : 1000);
      message = `${ctx.operation} was throttled by Amazon (${what}); next token in ${details.retryAfterMs} ms`;
      break;
    }
    case 'AccessDenied':
      message = lwa
        ? f.code === 'invalid_client'
          ? `Login with Amazon rejected Conduit's app credentials${during} (${what}): fix SPAPI_CLIENT_ID / SPAPI_CLIENT_SECRET`
          : `Login with Amazon refused the seller's authorisation${during} (${what}): the seller must re-authorise Conduit`
        : `Access denied on ${operation}: the ${scopeDisplayName(scope)} scope is not authorised for this connection (${what})`;
      break;
    case 'TokenExpired':
      message = `The access token for ${operation} was rejected (${what}); it is refreshed and the call repeated`;
      break;
    case 'InvalidInput': {
      const field = fieldNamedIn(f.message, f.details);
      if (field) details.field = field;
      message = `${operation} rejected the request${field ? ` (field ${field})` : ''}${during}: ${what}`;
      break;
    }
    case 'NotFound':
      message = `${operation}: not found (${what})`;
      break;
    case 'BadResponse':
      message = `${operation} returned a response Conduit cannot read${during}: ${what}`;
      break;
    case 'Transient':
      message = `${operation} failed temporarily${during}: ${what}`;
      break;
  }
  return new SpApiError(type, redactSecrets(message, ctx.secrets ?? []), details);
}
