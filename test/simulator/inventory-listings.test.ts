import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SELLER, UK, DE, assertExchangesConform, rejection, startTestSim, type Json, type TestSim } from './helpers';
import type { SimCatalogueItem } from '../../simulator/control-client';

let t: TestSim;

before(async () => {
  t = await startTestSim({ timeScale: 1, fbaLagSeconds: 5 * 3600, listingApplySeconds: 5, rateLimits: false });
});

after(async () => {
  await t.close();
  assertExchangesConform(t.handle);
});

const inventory = (query: Record<string, unknown> = {}) => ({
  operation: 'fbaInventory.getInventorySummaries',
  query: { granularityType: 'Marketplace', granularityId: UK, marketplaceIds: [UK], ...query },
});

const getListing = (sku: string, includedData = ['summaries', 'attributes', 'offers', 'fulfillmentAvailability', 'issues', 'productTypes']) => ({
  operation: 'listingsItems.getListingsItem',
  path: { sellerId: SELLER, sku },
  query: { marketplaceIds: [UK], includedData },
});

const patch = (sku: string, body: Record<string, unknown>, query: Record<string, unknown> = {}) => ({
  operation: 'listingsItems.patchListingsItem',
  path: { sellerId: SELLER, sku },
  query: { marketplaceIds: [UK], ...query },
  body,
});

const quantityPatch = (quantity: unknown, productType = 'HOME') => ({
  productType,
  patches: [{ op: 'replace', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity }] }],
});

test('getInventorySummaries: FBA and hybrid SKUs, details, and the parameter rules', async () => {
  const sp = t.client();
  const page = await sp.callAPI(inventory({ details: true }));
  assert.deepEqual(page.granularity, { granularityType: 'Marketplace', granularityId: UK });
  const skus = page.inventorySummaries.map((s: Json) => s.sellerSku).sort();
  assert.deepEqual(skus, ['LAMP-01', 'TEE-RED-M']);
  const tee = page.inventorySummaries.find((s: Json) => s.sellerSku === 'TEE-RED-M');
  assert.equal(tee.inventoryDetails.fulfillableQuantity, 25);
  assert.equal(tee.totalQuantity, 25);
  assert.equal(page.nextToken, undefined);

  const two = await rejection(sp.callAPI(inventory({ marketplaceIds: [UK, DE] })));
  assert.match(two.message ?? '', /at most 1/);
  const tooMany = await rejection(sp.callAPI(inventory({ sellerSkus: Array.from({ length: 51 }, (_, i) => `S${i}`) })));
  assert.match(tooMany.message ?? '', /at most 50/);
  const badType = await rejection(sp.callAPI(inventory({ granularityType: 'Country' })));
  assert.equal(badType.code, 'InvalidInput');
  const only = await sp.callAPI(inventory({ sellerSkus: ['LAMP-01'] }));
  assert.deepEqual(only.inventorySummaries.map((s: Json) => s.sellerSku), ['LAMP-01']);
});

test('FBA quantities lag real stock movements by fbaLagSeconds', async () => {
  const sp = t.client();
  await t.control.moveFbaStock({ sellerId: SELLER, sku: 'TEE-RED-M', delta: 10, reason: 'inbound received' });
  const fresh = (await sp.callAPI(inventory({ sellerSkus: ['TEE-RED-M'], details: true }))).inventorySummaries[0];
  assert.equal(fresh.inventoryDetails.fulfillableQuantity, 25, 'not visible yet');
  await t.control.advance(4 * 3600);
  const still = (await sp.callAPI(inventory({ sellerSkus: ['TEE-RED-M'], details: true }))).inventorySummaries[0];
  assert.equal(still.inventoryDetails.fulfillableQuantity, 25);
  await t.control.advance(3600 + 1);
  const later = (await sp.callAPI(inventory({ sellerSkus: ['TEE-RED-M'], details: true }))).inventorySummaries[0];
  assert.equal(later.inventoryDetails.fulfillableQuantity, 35);
  const changed = await sp.callAPI(inventory({ startDateTime: new Date(t.handle.sim.core.clock.now() - 6 * 3600_000).toISOString() }));
  assert.deepEqual(changed.inventorySummaries.map((s: Json) => s.sellerSku), ['TEE-RED-M']);
});

test('inventory pages hold 50 summaries and their nextToken lives 30 simulated seconds', async () => {
  const items: SimCatalogueItem[] = Array.from({ length: 70 }, (_, i) => ({ sku: `BULK-${String(i).padStart(3, '0')}`, title: `Bulk ${i}`, productType: 'HOME', price: 1, fbaQuantity: i, fulfilment: 'FBA' }));
  await t.control.addListings(SELLER, items);
  const sp = t.client();
  const first = await sp.callAPI(inventory());
  assert.equal(first.inventorySummaries.length, 50);
  const second = await sp.callAPI(inventory({ nextToken: first.nextToken }));
  assert.equal(second.inventorySummaries.length, 72 - 50);
  assert.equal(second.nextToken, undefined);
  const again = await sp.callAPI(inventory());
  await t.control.advance(31);
  const expired = await rejection(sp.callAPI(inventory({ nextToken: again.nextToken })));
  assert.match(expired.message ?? '', /expired/);
});

test('getListingsItem returns the 2021-08-01 Item; SKUs are exact and case-sensitive', async () => {
  const sp = t.client();
  const item = await sp.callAPI(getListing('MUG-BLUE'));
  assert.equal(item.sku, 'MUG-BLUE');
  assert.equal(item.summaries[0].productType, 'HOME');
  assert.equal(item.summaries[0].itemName, 'Blue mug');
  assert.deepEqual(item.fulfillmentAvailability, [{ fulfillmentChannelCode: 'DEFAULT', quantity: 40 }]);
  assert.deepEqual(item.offers[0].price, { amount: '9.99', currencyCode: 'GBP' });
  const hybrid = await sp.callAPI(getListing('LAMP-01', ['fulfillmentAvailability']));
  assert.deepEqual(hybrid.fulfillmentAvailability.map((f: Json) => f.fulfillmentChannelCode), ['DEFAULT', 'AMAZON_EU']);
  for (const sku of ['mug-blue', 'MUG-BLUE ', ' MUG-BLUE']) {
    const err = await rejection(sp.callAPI(getListing(sku)));
    assert.equal(err.code, 'NOT_FOUND', JSON.stringify(sku));
  }
  const otherSeller = await rejection(sp.callAPI({ ...getListing('MUG-BLUE'), path: { sellerId: 'A9SOMEONEELSE', sku: 'MUG-BLUE' } }));
  assert.equal(otherSeller.code, 'Unauthorized');
});

test('a quantity patch is ACCEPTED, becomes visible a few simulated seconds later, and is recorded with its latency', async () => {
  const sp = t.client();
  const res = await sp.callAPI(patch('MUG-BLUE', quantityPatch(7)));
  assert.equal(res.status, 'ACCEPTED');
  assert.match(res.submissionId, /^[0-9a-f]{32}$/);
  assert.deepEqual(res.issues, []);
  assert.equal((await t.control.listing(SELLER, 'MUG-BLUE')).quantity, 40, 'not applied yet');
  await t.control.advance(5);
  const view = await t.control.listing(SELLER, 'MUG-BLUE');
  assert.equal(view.quantity, 7);
  const change = view.quantityHistory.at(-1);
  assert.equal(change?.source, 'patch');
  assert.equal(change?.submissionId, res.submissionId);
  // 5 simulated seconds advanced by hand, plus the few real milliseconds the calls took (the clock keeps running).
  assert.ok(change && change.latencySeconds >= 5 && change.latencySeconds < 5.5, `latency ${change?.latencySeconds} s`);
  const item = await sp.callAPI(getListing('MUG-BLUE', ['fulfillmentAvailability']));
  assert.equal(item.fulfillmentAvailability[0].quantity, 7);
});

test('title, price and description patches apply after the delay', async () => {
  const sp = t.client();
  const res = await sp.callAPI(
    patch('MUG-BLUE', {
      productType: 'HOME',
      patches: [
        { op: 'replace', path: '/attributes/item_name', value: [{ value: 'Blue mug, 350 ml', language_tag: 'en_GB', marketplace_id: UK }] },
        { op: 'replace', path: '/attributes/purchasable_offer', value: [{ marketplace_id: UK, currency: 'GBP', our_price: [{ schedule: [{ value_with_tax: 11.5 }] }] }] },
        { op: 'add', path: '/attributes/product_description', value: [{ value: 'Stoneware.', language_tag: 'en_GB', marketplace_id: UK }] },
      ],
    }),
  );
  assert.equal(res.status, 'ACCEPTED');
  await t.control.advance(5);
  const view = await t.control.listing(SELLER, 'MUG-BLUE');
  assert.equal(view.title, 'Blue mug, 350 ml');
  assert.deepEqual(view.price, { amount: '11.50', currencyCode: 'GBP' });
  assert.equal(view.description, 'Stoneware.');
});

test('invalid patches answer 200 with status INVALID and model-shaped issues', async () => {
  const sp = t.client();
  const cases: [string, Record<string, unknown>, string][] = [
    ['unknown op', { productType: 'HOME', patches: [{ op: 'upsert', path: '/attributes/item_name', value: [{ value: 'x' }] }] }, '4000001'],
    ['missing productType', { patches: quantityPatch(1).patches }, '90220'],
    ['wrong productType', quantityPatch(1, 'LUGGAGE'), '4000003'],
    ['negative quantity', quantityPatch(-3), '4000001'],
    ['fractional quantity', quantityPatch(2.5), '4000001'],
    ['bad path', { productType: 'HOME', patches: [{ op: 'replace', path: '/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity: 1 }] }] }, '90000900'],
    ['nested path', { productType: 'HOME', patches: [{ op: 'replace', path: '/attributes/item_name/0/value', value: [{ value: 'x' }] }] }, '90000900'],
  ];
  for (const [label, body, code] of cases) {
    const res = await sp.callAPI(patch('MUG-BLUE', body));
    assert.equal(res.status, 'INVALID', label);
    assert.ok(res.issues.some((i: Json) => i.code === code && i.severity === 'ERROR'), `${label}: ${JSON.stringify(res.issues)}`);
  }
  const unknown = await sp.callAPI(patch('MUG-BLUE ', quantityPatch(5)));
  assert.equal(unknown.status, 'INVALID');
  assert.match(unknown.issues[0].message, /does not match any listing/);
  const unparseable = await rejection(sp.callAPI(patch('MUG-BLUE', { productType: 'HOME', patches: { op: 'replace' } })));
  assert.equal(unparseable.code, 'InvalidInput');
  await t.control.advance(10);
  assert.equal((await t.control.listing(SELLER, 'MUG-BLUE')).quantity, 7, 'nothing invalid was applied');
});

test('VALIDATION_PREVIEW validates without applying; merge updates quantity by channel selector', async () => {
  const sp = t.client();
  const preview = await sp.callAPI(patch('LAMP-01', quantityPatch(99, 'LAMP'), { mode: 'VALIDATION_PREVIEW', includedData: ['issues', 'identifiers'] }));
  assert.equal(preview.status, 'VALID');
  assert.ok(preview.identifiers[0].asin);
  const merge = await sp.callAPI(
    patch('LAMP-01', { productType: 'LAMP', patches: [{ op: 'merge', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity: 3, lead_time_to_ship_max_days: 2 }] }] }),
  );
  assert.equal(merge.status, 'ACCEPTED');
  await t.control.advance(5);
  const view = await t.control.listing(SELLER, 'LAMP-01');
  assert.equal(view.quantity, 3);
  const item = await sp.callAPI(getListing('LAMP-01', ['attributes']));
  assert.deepEqual(item.attributes.fulfillment_availability[0], { fulfillment_channel_code: 'DEFAULT', quantity: 3, lead_time_to_ship_max_days: 2 });
});

test('putListingsItem creates a listing for a new SKU', async () => {
  const sp = t.client();
  const res = await sp.callAPI({
    operation: 'listingsItems.putListingsItem',
    path: { sellerId: SELLER, sku: 'NEW-SKU-1' },
    query: { marketplaceIds: [UK] },
    body: {
      productType: 'HOME',
      requirements: 'LISTING',
      attributes: {
        item_name: [{ value: 'New thing', language_tag: 'en_GB', marketplace_id: UK }],
        purchasable_offer: [{ marketplace_id: UK, currency: 'GBP', our_price: [{ schedule: [{ value_with_tax: 4.2 }] }] }],
        fulfillment_availability: [{ fulfillment_channel_code: 'DEFAULT', quantity: 6 }],
      },
    },
  });
  assert.equal(res.status, 'ACCEPTED');
  assert.equal((await rejection(sp.callAPI(getListing('NEW-SKU-1')))).code, 'NOT_FOUND');
  await t.control.advance(5);
  const item = await sp.callAPI(getListing('NEW-SKU-1'));
  assert.equal(item.summaries[0].itemName, 'New thing');
  assert.equal(item.fulfillmentAvailability[0].quantity, 6);
  const twoMarkets = await rejection(sp.callAPI({ operation: 'listingsItems.putListingsItem', path: { sellerId: SELLER, sku: 'X' }, query: { marketplaceIds: [UK, DE] }, body: { productType: 'HOME', attributes: {} } }));
  assert.match(twoMarkets.message ?? '', /at most 1/);
});
