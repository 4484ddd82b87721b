import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SpApiModels, SchemaValidator } from '../../simulator/model-validator';
import { parseUsagePlan } from '../../simulator/usage-plans';
import { SP_API_OPERATIONS } from '../../simulator/operations';
import { AmazonSimulator } from '../../simulator/simulator';

const models = SpApiModels.load();
const searchOrders = models.operation('orders_2026-01-01', 'searchOrders');

function modelExample(): Record<string, unknown> {
  const responses = searchOrders.definition.responses as Record<string, { examples: Record<string, unknown> }>;
  return structuredClone(responses['200']?.examples['application/json']) as Record<string, unknown>;
}

test("Amazon's own searchOrders example conforms to the model", () => {
  assert.deepEqual(models.validateResponse(searchOrders, 200, modelExample()), []);
});

test('a wrong type is reported with its path', () => {
  const body = modelExample();
  ((body.orders as Record<string, unknown>[])[0] as Record<string, unknown>).createdTime = 12345;
  const issues = models.validateResponse(searchOrders, 200, body);
  assert.equal(issues.length, 1);
  assert.equal(issues[0]?.path, '$.orders[0].createdTime');
  assert.match(issues[0]?.message ?? '', /must be string, got integer/);
});

test('a missing required field is reported', () => {
  const body = modelExample();
  delete ((body.orders as Record<string, unknown>[])[0] as Record<string, unknown>).salesChannel;
  const issues = models.validateResponse(searchOrders, 200, body);
  assert.deepEqual(issues.map((i) => i.path), ['$.orders[0].salesChannel']);
  assert.match(issues[0]?.message ?? '', /required/);
});

test('a value outside an enum is reported', () => {
  const body = modelExample();
  const order = (body.orders as Record<string, Record<string, unknown>>[])[0] as Record<string, Record<string, unknown>>;
  (order.fulfillment as Record<string, unknown>).fulfillmentStatus = 'Shipped';
  const issues = models.validateResponse(searchOrders, 200, body);
  assert.equal(issues.length, 1);
  assert.match(issues[0]?.message ?? '', /must be one of .*"SHIPPED"/);
});

test('date-time format, integer vs number, nullable types and additionalProperties:false', () => {
  const v = new SchemaValidator({});
  assert.equal(v.validate({ type: 'string', format: 'date-time' }, '2026-01-01T00:00:00Z').length, 0);
  assert.equal(v.validate({ type: 'string', format: 'date-time' }, '02/21/2022').length, 1);
  assert.equal(v.validate({ type: 'integer' }, 1.5).length, 1);
  assert.equal(v.validate({ type: 'number' }, 1).length, 0);
  assert.equal(v.validate({ type: ['string', 'null'] }, null).length, 0);
  assert.equal(v.validate({ type: 'object', properties: { a: {} }, additionalProperties: false }, { a: 1, b: 2 }).length, 1);
});

test('the listings feed example passes; oneOf rules catch a PATCH with attributes and a DELETE with productType', () => {
  const dir = path.join(models.dir, 'schemas', 'feeds');
  const example = JSON.parse(readFileSync(path.join(dir, 'listings-feed-schema-v2.example.json'), 'utf8')) as unknown;
  assert.deepEqual(models.validateAgainstSchemaFile('feeds/listings-feed-schema-v2.json', example), []);
  const patchWithAttributes = { messageId: 1, sku: 'A', operationType: 'PATCH', productType: 'HOME', patches: [{ op: 'replace', path: '/attributes/item_name' }], attributes: { x: [] } };
  assert.notEqual(models.validateAgainstSchemaFile('feeds/listings-feed-message-schema-v2.json', patchWithAttributes).length, 0);
  const deleteWithType = { messageId: 2, sku: 'A', operationType: 'DELETE', productType: 'HOME' };
  assert.notEqual(models.validateAgainstSchemaFile('feeds/listings-feed-message-schema-v2.json', deleteWithType).length, 0);
  const processingExample = JSON.parse(readFileSync(path.join(dir, 'listings-feed-processing-report-schema-v2.example.json'), 'utf8')) as unknown;
  assert.deepEqual(models.validateAgainstSchemaFile('feeds/listings-feed-processing-report-schema-v2.json', processingExample), []);
});

test('usage plans are parsed from the model descriptions', () => {
  assert.deepEqual(parseUsagePlan(searchOrders), { rate: 0.0056, burst: 20 });
  assert.deepEqual(parseUsagePlan(models.operation('fbaInventory', 'getInventorySummaries')), { rate: 2, burst: 2 });
  assert.deepEqual(parseUsagePlan(models.operation('listingsItems_2021-08-01', 'patchListingsItem')), { rate: 5, burst: 5 });
  assert.deepEqual(parseUsagePlan(models.operation('ordersV0', 'confirmShipment')), { rate: 2, burst: 10 });
  // A sandbox-only operation has no usage plan: parsing must fail loudly, not guess.
  assert.throws(() => parseUsagePlan(models.operation('fbaInventory', 'createInventoryItem')), /No usage plan table/);
});

test('every simulated operation exists in the models and has a usage plan', () => {
  const sim = new AmazonSimulator({ seed: 1 });
  for (const op of SP_API_OPERATIONS) {
    const plan = sim.plans.get(op.key);
    assert.ok(plan && plan.rate > 0 && plan.burst > 0, op.key);
  }
  assert.equal(sim.plans.size, SP_API_OPERATIONS.length);
});
