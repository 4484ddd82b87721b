/**
 * The zod schemas are the models' definitions: walk each schema (as JSON Schema) alongside its
 * model definition and check that every field we declare exists in the model with the same type,
 * every field the model requires is required, we require nothing the model leaves optional
 * (except the few listed with a reason), and enums are the model's. Then check the models' own
 * response examples pass, and that a malformed body becomes BadResponse.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { z } from 'zod';
import { SpApiError } from '../../spapi/errors';
import { defaultModelsDir } from '../../spapi/generate-usage-plans';
import * as schemas from '../../spapi/schemas';

type Json = Record<string, unknown>;
const loadModel = (file: string): Json => JSON.parse(fs.readFileSync(path.join(defaultModelsDir, file), 'utf8')) as Json;

const ORDERS = 'orders-api-model/orders_2026-01-01.json';
const FBA = 'fba-inventory-api-model/fbaInventory.json';
const LISTINGS = 'listings-items-api-model/listingsItems_2021-08-01.json';
const FEEDS = 'feeds-api-model/feeds_2021-06-30.json';
const REPORTS = 'reports-api-model/reports_2021-06-30.json';
const TOKENS = 'tokens-api-model/tokens_2021-03-01.json';
const SELLERS = 'sellers-api-model/sellers.json';

/** schema ↔ model definition, and the operation whose 2xx example must parse. */
const PAIRS: Array<{ name: string; schema: z.ZodType; model: string; definition: string; operation?: string }> = [
  { name: 'searchOrdersResponse', schema: schemas.searchOrdersResponse, model: ORDERS, definition: 'SearchOrdersResponse', operation: 'searchOrders' },
  { name: 'getOrderResponse', schema: schemas.getOrderResponse, model: ORDERS, definition: 'GetOrderResponse', operation: 'getOrder' },
  { name: 'inventorySummariesResponse', schema: schemas.inventorySummariesResponse, model: FBA, definition: 'GetInventorySummariesResponse', operation: 'getInventorySummaries' },
  { name: 'listingsItem', schema: schemas.listingsItem, model: LISTINGS, definition: 'Item', operation: 'getListingsItem' },
  { name: 'listingsSubmission', schema: schemas.listingsSubmission, model: LISTINGS, definition: 'ListingsItemSubmissionResponse', operation: 'patchListingsItem' },
  { name: 'createFeedDocumentResponse', schema: schemas.createFeedDocumentResponse, model: FEEDS, definition: 'CreateFeedDocumentResponse', operation: 'createFeedDocument' },
  { name: 'createFeedResponse', schema: schemas.createFeedResponse, model: FEEDS, definition: 'CreateFeedResponse', operation: 'createFeed' },
  { name: 'feed', schema: schemas.feed, model: FEEDS, definition: 'Feed', operation: 'getFeed' },
  { name: 'feedDocument', schema: schemas.feedDocument, model: FEEDS, definition: 'FeedDocument', operation: 'getFeedDocument' },
  { name: 'createReportResponse', schema: schemas.createReportResponse, model: REPORTS, definition: 'CreateReportResponse', operation: 'createReport' },
  { name: 'report', schema: schemas.report, model: REPORTS, definition: 'Report', operation: 'getReport' },
  { name: 'reportDocument', schema: schemas.reportDocument, model: REPORTS, definition: 'ReportDocument', operation: 'getReportDocument' },
  { name: 'restrictedDataTokenResponse', schema: schemas.restrictedDataTokenResponse, model: TOKENS, definition: 'CreateRestrictedDataTokenResponse', operation: 'createRestrictedDataToken' },
  {
    name: 'marketplaceParticipationsResponse',
    schema: schemas.marketplaceParticipationsResponse,
    model: SELLERS,
    definition: 'GetMarketplaceParticipationsResponse',
    operation: 'getMarketplaceParticipations',
  },
];

/** Where we require what the model leaves optional — a 200 without these is useless to the port. */
const REQUIRED_BEYOND_MODEL = new Set([
  'inventorySummariesResponse.payload',
  'restrictedDataTokenResponse.restrictedDataToken',
  'restrictedDataTokenResponse.expiresIn',
  'marketplaceParticipationsResponse.payload',
]);

function resolve(model: Json, node: Json): Json {
  let current = node;
  for (let i = 0; i < 10 && typeof current.$ref === 'string'; i++) {
    const name = (current.$ref as string).replace('#/definitions/', '');
    current = (model.definitions as Record<string, Json>)[name]!;
  }
  return current;
}

/** The backticked values after "Possible values" in a model description. */
function possibleValues(description: unknown): string[] {
  if (typeof description !== 'string') return [];
  const after = description.split(/Possible values\**:?/)[1] ?? '';
  return [...after.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]!);
}

function compare(model: Json, zs: Json, ms: Json, where: string, problems: string[], described?: unknown): void {
  const m = resolve(model, ms);
  const modelType = m.type ?? (m.properties ? 'object' : undefined);
  if (modelType && zs.type && modelType !== zs.type) problems.push(`${where}: type ${String(zs.type)} but the model says ${String(modelType)}`);
  if (Array.isArray(m.enum)) {
    assert.ok(Array.isArray(zs.enum), `${where}: the model has enum ${JSON.stringify(m.enum)}, the schema has none`);
    if (JSON.stringify([...(zs.enum as string[])].sort()) !== JSON.stringify([...(m.enum as string[])].sort())) {
      problems.push(`${where}: enum ${JSON.stringify(zs.enum)} but the model says ${JSON.stringify(m.enum)}`);
    }
  } else if (Array.isArray(zs.enum)) {
    const documented = possibleValues(described ?? m.description);
    if (JSON.stringify([...(zs.enum as string[])].sort()) !== JSON.stringify([...documented].sort())) {
      problems.push(`${where}: enum ${JSON.stringify(zs.enum)} is neither a model enum nor its documented possible values (${JSON.stringify(documented)})`);
    }
  }
  if (zs.type === 'array' && zs.items) compare(model, zs.items as Json, (m.items ?? {}) as Json, `${where}[]`, problems);
  if (zs.type === 'object' && zs.properties) {
    const mProps = (m.properties ?? {}) as Record<string, Json>;
    const zProps = zs.properties as Record<string, Json>;
    for (const [key, sub] of Object.entries(zProps)) {
      const modelProp = mProps[key];
      if (!modelProp) {
        problems.push(`${where}.${key}: not in the model`);
        continue;
      }
      compare(model, sub, modelProp, `${where}.${key}`, problems, modelProp.description);
    }
    const zRequired = new Set((zs.required ?? []) as string[]);
    const mRequired = new Set((m.required ?? []) as string[]);
    for (const r of mRequired) if (!zRequired.has(r)) problems.push(`${where}.${r}: required by the model, optional or missing in the schema`);
    for (const r of zRequired) if (!mRequired.has(r) && !REQUIRED_BEYOND_MODEL.has(`${where}.${r}`)) problems.push(`${where}.${r}: required by the schema, optional in the model`);
  }
}

for (const pair of PAIRS) {
  test(`${pair.name} follows ${path.basename(pair.model)} ${pair.definition}`, () => {
    const model = loadModel(pair.model);
    const definition = (model.definitions as Record<string, Json>)[pair.definition];
    assert.ok(definition, `${pair.definition} in ${pair.model}`);
    const problems: string[] = [];
    compare(model, z.toJSONSchema(pair.schema, { io: 'output', unrepresentable: 'any' }) as Json, definition, pair.name, problems);
    assert.deepEqual(problems, []);
  });
}

test("the models' own success examples (and sandbox responses) pass the schemas", () => {
  let checked = 0;
  for (const pair of PAIRS) {
    const model = loadModel(pair.model);
    for (const ops of Object.values(model.paths as Record<string, Record<string, Json>>)) {
      for (const op of Object.values(ops)) {
        if (op.operationId !== pair.operation) continue;
        for (const [status, response] of Object.entries((op.responses ?? {}) as Record<string, Json>)) {
          if (!status.startsWith('2')) continue;
          const sandbox = (response['x-amzn-api-sandbox'] ?? {}) as { static?: Array<{ response?: unknown }>; dynamic?: Array<{ response?: unknown }> };
          const examples = [((response.examples ?? {}) as Json)['application/json'], ...[...(sandbox.static ?? []), ...(sandbox.dynamic ?? [])].map((s) => s.response)];
          for (const example of examples.filter((e) => e !== undefined)) {
            const result = pair.schema.safeParse(example);
            assert.ok(result.success, `${pair.operation} ${status} example: ${result.success ? '' : JSON.stringify(result.error.issues.slice(0, 3))}`);
            checked++;
          }
        }
      }
    }
  }
  assert.ok(checked >= 10, `only ${checked} examples found`);
});

test('a malformed body is BadResponse naming the path, never the values', () => {
  const body = { orders: [{ orderId: '026-1234567-1234567', createdTime: 'yesterday', lastUpdatedTime: '2026-11-27T10:00:00Z', salesChannel: { channelName: 'AMAZON' }, orderItems: [], buyer: { buyerEmail: 'jo@example.com', buyerName: 42 } }] };
  assert.throws(
    () => schemas.parseResponse(schemas.searchOrdersResponse, body, { operation: 'searchOrders', scope: 'SELLING_PARTNER_INSIGHTS', connectionId: 'c1', httpStatus: 200 }),
    (err: unknown) => {
      assert.ok(err instanceof SpApiError);
      assert.equal(err.type, 'BadResponse');
      assert.equal(err.details.httpStatus, 200);
      assert.match(err.message, /orders\.0\.createdTime/);
      assert.match(err.message, /orders\.0\.buyer\.buyerName/);
      assert.doesNotMatch(err.message, /yesterday|jo@example\.com|42/);
      return true;
    },
  );
});

test('unknown fields are dropped and FBA vs FBM must be one of the two', () => {
  const order = {
    orderId: '026-1234567-1234567',
    createdTime: '2026-11-27T10:00:00Z',
    lastUpdatedTime: '2026-11-27T10:05:00.123+01:00',
    salesChannel: { channelName: 'AMAZON', marketplaceId: 'A1F83G8C2ARO7P' },
    fulfillment: { fulfillmentStatus: 'UNSHIPPED', fulfilledBy: 'MERCHANT' },
    orderItems: [{ orderItemId: '1', quantityOrdered: 2, product: { sellerSku: 'SKU-1' } }],
    somethingNew: { x: 1 },
  };
  const parsed = schemas.getOrderResponse.parse({ order });
  assert.equal('somethingNew' in parsed.order, false);
  assert.equal(parsed.order.fulfillment?.fulfilledBy, 'MERCHANT');
  assert.equal(schemas.getOrderResponse.safeParse({ order: { ...order, fulfillment: { fulfillmentStatus: 'UNSHIPPED', fulfilledBy: 'SOMEONE' } } }).success, false);
  assert.equal(schemas.getOrderResponse.safeParse({ order: { ...order, fulfillment: { fulfillmentStatus: 'Unshipped' } } }).success, false);
  // Instants must carry a zone: domain/time.ts cannot read one without.
  assert.equal(schemas.getOrderResponse.safeParse({ order: { ...order, createdTime: '2026-11-27T10:00:00' } }).success, false);
});
