import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parseIsoDateTime } from './clock';

/**
 * A compact JSON-schema subset validator for Amazon's Swagger 2.0 models and draft-07 feed /
 * notification schemas: $ref (local), type (incl. arrays of types and "null"), enum, const,
 * properties, required, additionalProperties, items, min/maxItems, min/maxLength, minimum,
 * maximum, pattern, format date-time, minProperties, allOf, anyOf, oneOf and boolean schemas.
 * Unknown keywords are ignored (as JSON Schema does).
 */

export type JsonSchema = boolean | { [keyword: string]: unknown };

export interface SchemaIssue {
  /** JSON path of the offending value, e.g. `$.orders[0].salesChannel.channelName`. */
  path: string;
  message: string;
}

type SchemaObject = { [keyword: string]: unknown };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function matchesType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  if (type === 'number') return actual === 'number' || actual === 'integer';
  return actual === type;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class SchemaValidator {
  /** @param root the document that local `#/...` references resolve against. */
  constructor(private readonly root: unknown) {}

  validate(schema: JsonSchema, value: unknown, at = '$'): SchemaIssue[] {
    const issues: SchemaIssue[] = [];
    this.check(schema, value, at, issues, 0);
    return issues;
  }

  resolve(ref: string): JsonSchema {
    if (!ref.startsWith('#/')) throw new Error(`Only local $refs are supported, got ${ref}`);
    let node: unknown = this.root;
    for (const raw of ref.slice(2).split('/')) {
      const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      if (!isObject(node) || !(key in node)) throw new Error(`Unresolvable $ref ${ref}`);
      node = node[key];
    }
    return node as JsonSchema;
  }

  private check(schema: JsonSchema, value: unknown, at: string, out: SchemaIssue[], depth: number): void {
    if (depth > 64) throw new Error(`Schema recursion too deep at ${at}`);
    if (schema === true) return;
    if (schema === false) {
      out.push({ path: at, message: 'is not allowed here' });
      return;
    }
    const s = schema as SchemaObject;
    if (typeof s.$ref === 'string') {
      this.check(this.resolve(s.$ref), value, at, out, depth + 1);
      return;
    }

    const declared = s.type;
    const types = Array.isArray(declared) ? (declared as string[]) : typeof declared === 'string' ? [declared] : [];
    if (types.length > 0 && !types.some((t) => matchesType(value, t))) {
      out.push({ path: at, message: `must be ${types.join(' or ')}, got ${typeOf(value)}` });
      return;
    }
    if (Array.isArray(s.enum) && !s.enum.some((e) => deepEqual(e, value))) {
      out.push({ path: at, message: `must be one of ${s.enum.map((e) => JSON.stringify(e)).join(', ')}, got ${JSON.stringify(value)}` });
    }
    if ('const' in s && !deepEqual(s.const, value)) {
      out.push({ path: at, message: `must equal ${JSON.stringify(s.const)}, got ${JSON.stringify(value)}` });
    }

    if (typeof value === 'string') this.checkString(s, value, at, out);
    if (typeof value === 'number') this.checkNumber(s, value, at, out);
    if (Array.isArray(value)) this.checkArray(s, value, at, out, depth);
    if (isObject(value)) this.checkObject(s, value, at, out, depth);

    if (Array.isArray(s.allOf)) {
      for (const sub of s.allOf as JsonSchema[]) this.check(sub, value, at, out, depth + 1);
    }
    if (Array.isArray(s.anyOf)) {
      const ok = (s.anyOf as JsonSchema[]).some((sub) => this.validate(sub, value, at).length === 0);
      if (!ok) out.push({ path: at, message: 'does not match any of the allowed alternatives (anyOf)' });
    }
    if (Array.isArray(s.oneOf)) {
      const results = (s.oneOf as JsonSchema[]).map((sub) => this.validate(sub, value, at));
      const matching = results.filter((r) => r.length === 0).length;
      if (matching !== 1) {
        const closest = results.reduce((best, r) => (r.length < best.length ? r : best), results[0] ?? []);
        const hint = matching === 0 && closest.length > 0 ? `; closest alternative failed: ${closest.map((i) => `${i.path} ${i.message}`).join('; ')}` : '';
        out.push({ path: at, message: `must match exactly one alternative (oneOf), matched ${matching}${hint}` });
      }
    }
  }

  private checkString(s: SchemaObject, value: string, at: string, out: SchemaIssue[]): void {
    if (typeof s.minLength === 'number' && value.length < s.minLength) out.push({ path: at, message: `must have at least ${s.minLength} characters` });
    if (typeof s.maxLength === 'number' && value.length > s.maxLength) out.push({ path: at, message: `must have at most ${s.maxLength} characters` });
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern).test(value)) out.push({ path: at, message: `must match pattern ${s.pattern}` });
    if (s.format === 'date-time' && parseIsoDateTime(value) === undefined) out.push({ path: at, message: `must be an ISO 8601 date-time, got ${JSON.stringify(value)}` });
  }

  private checkNumber(s: SchemaObject, value: number, at: string, out: SchemaIssue[]): void {
    if (typeof s.minimum === 'number' && value < s.minimum) out.push({ path: at, message: `must be >= ${s.minimum}` });
    if (typeof s.maximum === 'number' && value > s.maximum) out.push({ path: at, message: `must be <= ${s.maximum}` });
  }

  private checkArray(s: SchemaObject, value: unknown[], at: string, out: SchemaIssue[], depth: number): void {
    if (typeof s.minItems === 'number' && value.length < s.minItems) out.push({ path: at, message: `must have at least ${s.minItems} items` });
    if (typeof s.maxItems === 'number' && value.length > s.maxItems) out.push({ path: at, message: `must have at most ${s.maxItems} items` });
    if (s.items !== undefined && !Array.isArray(s.items)) {
      value.forEach((item, i) => this.check(s.items as JsonSchema, item, `${at}[${i}]`, out, depth + 1));
    }
  }

  private checkObject(s: SchemaObject, value: Record<string, unknown>, at: string, out: SchemaIssue[], depth: number): void {
    if (Array.isArray(s.required)) {
      for (const key of s.required as string[]) {
        if (!(key in value) || value[key] === undefined) out.push({ path: `${at}.${key}`, message: 'is required' });
      }
    }
    if (typeof s.minProperties === 'number' && Object.keys(value).length < s.minProperties) {
      out.push({ path: at, message: `must have at least ${s.minProperties} properties` });
    }
    const props = isObject(s.properties) ? (s.properties as Record<string, JsonSchema>) : {};
    for (const [key, sub] of Object.entries(props)) {
      if (key in value && value[key] !== undefined) this.check(sub, value[key], `${at}.${key}`, out, depth + 1);
    }
    if (s.additionalProperties !== undefined && s.additionalProperties !== true) {
      for (const key of Object.keys(value)) {
        if (key in props) continue;
        if (s.additionalProperties === false) out.push({ path: `${at}.${key}`, message: 'is not an allowed property' });
        else this.check(s.additionalProperties as JsonSchema, value[key], `${at}.${key}`, out, depth + 1);
      }
    }
  }
}

/** Where Amazon's models live: option, env var, then `<repo>/../shared/sp-api-models`. */
export function resolveModelsDir(explicit?: string): string {
  const candidates = [
    explicit,
    process.env.SP_API_MODELS_DIR,
    path.resolve(__dirname, '..', '..', 'shared', 'sp-api-models'),
    '/work/shared/sp-api-models',
  ].filter((c): c is string => typeof c === 'string' && c.length > 0);
  for (const dir of candidates) {
    if (existsSync(path.join(dir, 'models'))) return dir;
  }
  throw new Error(`Amazon SP-API models not found; looked in ${candidates.join(', ')}. Set SP_API_MODELS_DIR.`);
}

export interface ModelOperation {
  /** Model file name without extension, e.g. `orders_2026-01-01`. */
  model: string;
  operationId: string;
  method: string;
  path: string;
  definition: Record<string, unknown>;
  validator: SchemaValidator;
}

export interface ModelParameter {
  name: string;
  in: string;
  required?: boolean;
  type?: string;
  enum?: unknown[];
  items?: { type?: string; enum?: unknown[] };
  maxItems?: number;
  minItems?: number;
  minimum?: number;
  maximum?: number;
  format?: string;
  schema?: JsonSchema;
}

const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

/** Amazon's Swagger models plus the feed / notification JSON schemas, indexed for lookups. */
export class SpApiModels {
  readonly operations: ModelOperation[] = [];
  private readonly schemaFiles = new Map<string, { schema: JsonSchema; validator: SchemaValidator }>();

  constructor(readonly dir: string) {
    const modelsRoot = path.join(dir, 'models');
    for (const folder of readdirSync(modelsRoot).sort()) {
      for (const file of readdirSync(path.join(modelsRoot, folder)).sort()) {
        if (!file.endsWith('.json')) continue;
        const doc = JSON.parse(readFileSync(path.join(modelsRoot, folder, file), 'utf8')) as Record<string, unknown>;
        const validator = new SchemaValidator(doc);
        const paths = (doc.paths ?? {}) as Record<string, Record<string, unknown>>;
        for (const [p, ops] of Object.entries(paths)) {
          for (const [method, op] of Object.entries(ops)) {
            if (!HTTP_METHODS.has(method) || !isObject(op)) continue;
            this.operations.push({
              model: file.replace(/\.json$/, ''),
              operationId: String(op.operationId),
              method: method.toUpperCase(),
              path: p,
              definition: op,
              validator,
            });
          }
        }
      }
    }
  }

  static load(explicitDir?: string): SpApiModels {
    return new SpApiModels(resolveModelsDir(explicitDir));
  }

  operation(model: string, operationId: string): ModelOperation {
    const op = this.operations.find((o) => o.model === model && o.operationId === operationId);
    if (!op) throw new Error(`Operation ${operationId} not found in model ${model}`);
    return op;
  }

  parameters(op: ModelOperation): ModelParameter[] {
    return ((op.definition.parameters ?? []) as ModelParameter[]).slice();
  }

  /** The schema the model declares for `status`, or undefined (e.g. 204 / 200 without a body). */
  responseSchema(op: ModelOperation, status: number): JsonSchema | undefined {
    const responses = (op.definition.responses ?? {}) as Record<string, { schema?: JsonSchema }>;
    const response = responses[String(status)];
    return response?.schema;
  }

  declaredStatuses(op: ModelOperation): number[] {
    return Object.keys((op.definition.responses ?? {}) as Record<string, unknown>).map(Number);
  }

  bodySchema(op: ModelOperation): JsonSchema | undefined {
    return this.parameters(op).find((p) => p.in === 'body')?.schema;
  }

  validateResponse(op: ModelOperation, status: number, body: unknown): SchemaIssue[] {
    const schema = this.responseSchema(op, status);
    if (schema === undefined) {
      return body === undefined || body === '' ? [] : [{ path: '$', message: `model declares no body for ${status}` }];
    }
    return op.validator.validate(schema, body);
  }

  validateRequestBody(op: ModelOperation, body: unknown): SchemaIssue[] {
    const schema = this.bodySchema(op);
    return schema === undefined ? [] : op.validator.validate(schema, body);
  }

  /** A standalone JSON schema file under `schemas/`, e.g. `feeds/listings-feed-schema-v2.json`. */
  schemaFile(relative: string): { schema: JsonSchema; validator: SchemaValidator } {
    let entry = this.schemaFiles.get(relative);
    if (!entry) {
      const schema = JSON.parse(readFileSync(path.join(this.dir, 'schemas', relative), 'utf8')) as JsonSchema;
      entry = { schema, validator: new SchemaValidator(schema) };
      this.schemaFiles.set(relative, entry);
    }
    return entry;
  }

  validateAgainstSchemaFile(relative: string, value: unknown): SchemaIssue[] {
    const { schema, validator } = this.schemaFile(relative);
    return validator.validate(schema, value);
  }
}

export function formatIssues(issues: SchemaIssue[]): string {
  return issues.map((i) => `${i.path} ${i.message}`).join('; ');
}
