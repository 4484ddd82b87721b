import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  buildListingsFeed,
  chunkListingChanges,
  parseProcessingReport,
  utf8ByteLength,
  MAX_MESSAGES_PER_FEED,
  type ListingChange,
} from '../../domain';

const UK = 'A1F83G8C2ARO7P';
const change = (sku: string, extra: Partial<ListingChange> = {}): ListingChange => ({ sku, productType: 'MUG', marketplaceId: UK, title: `Title ${sku}`, ...extra });

test('a listings feed patches title, description and price with the JSON_LISTINGS_FEED shape', () => {
  const feed = buildListingsFeed('A2SELLER', [change('MUG-RED', { description: 'Red mug', price: { amount: 9.99, currency: 'GBP' } })], 'en_GB');
  assert.deepEqual(feed, {
    header: { sellerId: 'A2SELLER', version: '2.0', issueLocale: 'en_GB' },
    messages: [
      {
        messageId: 1,
        sku: 'MUG-RED',
        operationType: 'PATCH',
        productType: 'MUG',
        patches: [
          { op: 'replace', path: '/attributes/item_name', value: [{ value: 'Title MUG-RED', language_tag: 'en_GB', marketplace_id: UK }] },
          { op: 'replace', path: '/attributes/product_description', value: [{ value: 'Red mug', language_tag: 'en_GB', marketplace_id: UK }] },
          {
            op: 'replace',
            path: '/attributes/purchasable_offer',
            value: [{ marketplace_id: UK, currency: 'GBP', our_price: [{ schedule: [{ value_with_tax: 9.99 }] }] }],
          },
        ],
      },
    ],
  });
});

test('a bulk feed never carries a quantity: a change that tries is a programming error', () => {
  const sneaky = { ...change('MUG-RED'), quantity: 5 } as unknown as ListingChange;
  assert.throws(() => buildListingsFeed('A2SELLER', [sneaky], 'en_GB'), /quantities \(fulfillment_availability\) are never sent in bulk feeds/);
  const sneakier = { ...change('MUG-RED'), fulfillment_availability: [{ fulfillment_channel_code: 'DEFAULT', quantity: 5 }] } as unknown as ListingChange;
  assert.throws(() => buildListingsFeed('A2SELLER', [sneakier], 'en_GB'), /never sent in bulk feeds/);
  assert.throws(() => chunkListingChanges([sneakier]), /never sent in bulk feeds/);
});

test('property: no feed built from any change ever mentions fulfillment_availability', () => {
  const changeArb = fc.record(
    { sku: fc.string({ minLength: 1, maxLength: 10 }), title: fc.string(), description: fc.string(), price: fc.record({ amount: fc.double({ min: 0.01, max: 9999, noNaN: true }), currency: fc.constant('GBP') }) },
    { requiredKeys: ['sku', 'title'] },
  ).map((c) => ({ ...c, productType: 'MUG', marketplaceId: UK }) as ListingChange);
  fc.assert(
    fc.property(fc.uniqueArray(changeArb, { selector: (c) => c.sku, minLength: 1, maxLength: 20 }), (changes) => {
      const feed = buildListingsFeed('A2SELLER', changes, 'en_GB');
      for (const m of feed.messages) for (const p of m.patches) assert.ok(!p.path.includes('fulfillment_availability'));
    }),
  );
});

test('changes are chunked at 25,000 messages per feed and by bytes, one marketplace per feed', () => {
  const many = Array.from({ length: MAX_MESSAGES_PER_FEED + 10 }, (_, i) => change(`SKU-${i}`));
  const chunks = chunkListingChanges(many);
  assert.deepEqual(chunks.map((c) => c.length), [MAX_MESSAGES_PER_FEED, 10]);

  const small = chunkListingChanges([change('A'), change('B'), change('C')], 2);
  assert.deepEqual(small.map((c) => c.map((x) => x.sku)), [['A', 'B'], ['C']]);

  const mixed = chunkListingChanges([change('A'), change('B', { marketplaceId: 'A1PA6795UKMFR9' }), change('C')]);
  assert.deepEqual(mixed.map((c) => c.map((x) => x.sku)), [['A', 'C'], ['B']]);
  assert.throws(() => buildListingsFeed('A2SELLER', [change('A'), change('B', { marketplaceId: 'A1PA6795UKMFR9' })], 'en_GB'), /One feed per marketplace/);

  const long = 'x'.repeat(2_000);
  const byBytes = chunkListingChanges(Array.from({ length: 10 }, (_, i) => change(`S${i}`, { description: long })), 25_000, 8_000);
  assert.ok(byBytes.length > 1);
  for (const chunk of byBytes) assert.ok(utf8ByteLength(JSON.stringify(buildListingsFeed('A2SELLER', chunk, 'en_GB'))) <= 8_000);
});

test('later changes to the same SKU are merged into one message', () => {
  const [chunk] = chunkListingChanges([change('A', { title: 'Old' }), change('B'), { sku: 'A', productType: 'MUG', marketplaceId: UK, price: { amount: 5, currency: 'GBP' } }]);
  assert.deepEqual(chunk, [
    { sku: 'A', productType: 'MUG', marketplaceId: UK, title: 'Old', price: { amount: 5, currency: 'GBP' } },
    change('B'),
  ]);
  assert.throws(() => buildListingsFeed('A2SELLER', [change('A'), change('A')], 'en_GB'), /appears twice/);
});

test('UTF-8 byte length counts multi-byte characters', () => {
  assert.equal(utf8ByteLength('abc'), 3);
  assert.equal(utf8ByteLength('é'), 2);
  assert.equal(utf8ByteLength('€'), 3);
  assert.equal(utf8ByteLength('😀'), 4);
});

test("Amazon's example processing report: rejected SKUs carry Amazon's messages", () => {
  const example = JSON.parse(readFileSync(join(__dirname, '../../../shared/sp-api-models/schemas/feeds/listings-feed-processing-report-schema-v2.example.json'), 'utf8'));
  const sent = buildListingsFeed('AXXXXXXXXXXXX', ['My-SKU-Z', 'My-SKU-Y', 'My-SKU-X', 'My-SKU-B', 'My-SKU-C'].map((s) => change(s)), 'en_US');
  const r = parseProcessingReport({ ...example, summary: { ...example.summary, messagesProcessed: 5 } }, sent);
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal(r.feedId, '1234567890');
  assert.deepEqual(r.rejected, ['My-SKU-B', 'My-SKU-C']);
  assert.deepEqual(r.accepted, ['My-SKU-Z', 'My-SKU-Y', 'My-SKU-X']);
  const b = r.results.find((x) => x.sku === 'My-SKU-B');
  assert.deepEqual(b?.errors.map((e) => e.message), ["'[batteries_required]' is required but not supplied.", "'[supplier_declared_dg_hz_regulation]' is required but not supplied."]);
  assert.equal(r.results.find((x) => x.sku === 'My-SKU-C')?.errors[0]?.attributeName, 'purchasable_offer.our_price');
});

test('if Amazon processed fewer messages than were sent, unflagged SKUs are not assumed applied', () => {
  const sent = buildListingsFeed('A2SELLER', [change('A'), change('B')], 'en_GB');
  const r = parseProcessingReport({ header: { sellerId: 'A2SELLER', version: '2.0', feedId: '9' }, issues: [], summary: { messagesProcessed: 1 } }, sent);
  assert.ok(r.ok && r.notProcessed.length === 2 && r.accepted.length === 0);
  const fatal = parseProcessingReport({ header: { feedId: '9' }, issues: [{ severity: 'ERROR', message: 'Feed could not be parsed' }] }, sent);
  assert.ok(fatal.ok);
  assert.deepEqual(fatal.ok && [fatal.notProcessed, fatal.feedErrors.map((e) => e.message)], [['A', 'B'], ['Feed could not be parsed']]);
});

test('warnings do not reject a SKU; an unreadable report is reported, not thrown', () => {
  const sent = buildListingsFeed('A2SELLER', [change('A')], 'en_GB');
  const r = parseProcessingReport({ header: { feedId: '9' }, issues: [{ messageId: 1, severity: 'WARNING', message: 'Image recommended' }], summary: { messagesProcessed: 1 } }, sent);
  assert.ok(r.ok && r.accepted[0] === 'A' && r.results[0]?.warnings.length === 1);
  assert.deepEqual(parseProcessingReport('<html>', sent), { ok: false, reason: 'processing report has no header' });
  assert.equal(parseProcessingReport({ header: {} }, sent).ok, false);
});
