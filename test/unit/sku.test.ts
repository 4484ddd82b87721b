import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { matchSku, describeSkuMismatch, compareCatalogues, skuDifferences, skuLookalikeKey, showSku } from '../../domain';

const catalogue = ['ABC', 'MUG-RED-L', 'Café-01', 'TEE 1'];

test('an identical SKU matches exactly', () => {
  assert.deepEqual(matchSku('MUG-RED-L', catalogue), { kind: 'exact', sku: 'MUG-RED-L' });
});

test("'ABC ' is reported as a near-miss of 'ABC' with trailing-space", () => {
  assert.deepEqual(matchSku('ABC ', catalogue), { kind: 'near-miss', sku: 'ABC', differences: ['trailing-space'] });
});

test('matching is case-sensitive: a lower-case SKU is a near-miss, never a match', () => {
  assert.deepEqual(matchSku('mug-red-l', catalogue), { kind: 'near-miss', sku: 'MUG-RED-L', differences: ['case'] });
});

test('leading spaces, inner whitespace and non-breaking spaces are named', () => {
  assert.deepEqual(matchSku(' ABC', catalogue), { kind: 'near-miss', sku: 'ABC', differences: ['leading-space'] });
  assert.deepEqual(matchSku('TEE  1', catalogue), { kind: 'near-miss', sku: 'TEE 1', differences: ['inner-whitespace'] });
  assert.deepEqual(matchSku('TEE1', catalogue), { kind: 'near-miss', sku: 'TEE 1', differences: ['inner-whitespace'] });
  assert.deepEqual(matchSku('TEE\u00a01', catalogue), { kind: 'near-miss', sku: 'TEE 1', differences: ['inner-whitespace'] });
  assert.deepEqual(matchSku('ABC\u00a0', catalogue), { kind: 'near-miss', sku: 'ABC', differences: ['trailing-space'] });
});

test('an accented letter typed as letter + combining accent is a unicode-normalisation near-miss', () => {
  const decomposed = 'Cafe\u0301-01';
  assert.notEqual(decomposed, 'Café-01');
  assert.deepEqual(matchSku(decomposed, catalogue), { kind: 'near-miss', sku: 'Café-01', differences: ['unicode-normalisation'] });
  // Full-width letters differ both in Unicode form and, once normalised, in case.
  assert.deepEqual(matchSku('ａｂｃ', catalogue), { kind: 'near-miss', sku: 'ABC', differences: ['case', 'unicode-normalisation'] });
});

test('several differences at once are all named', () => {
  assert.deepEqual(matchSku(' abc ', catalogue), { kind: 'near-miss', sku: 'ABC', differences: ['leading-space', 'trailing-space', 'case'] });
});

test('a SKU with nothing alike is unknown', () => {
  assert.deepEqual(matchSku('ABD', catalogue), { kind: 'unknown' });
});

test('the operator message shows the invisible character, names the difference and the fix', () => {
  const msg = describeSkuMismatch('ABC ', matchSku('ABC ', catalogue));
  assert.match(msg, /"ABC·"/);
  assert.match(msg, /a space \(or other whitespace\) at the end/);
  assert.match(msg, /will not treat them as the same item/);
  assert.match(msg, /Seller Central/);
  assert.match(describeSkuMismatch('ZZZ', { kind: 'unknown' }), /Add the item to Conduit with exactly this SKU/);
  assert.equal(showSku('A\u00a0B'), '"A<U+00A0>B"');
});

test('catalogue reconciliation lists exact matches, named near-misses and SKUs only on one side', () => {
  const c = compareCatalogues(['ABC', 'mug-red', 'ONLY-HERE', 'TEE 1'], ['ABC', 'MUG-RED', 'TEE 1 ', 'ONLY-AMAZON', 'ABC']);
  assert.deepEqual(c, {
    exact: ['ABC'],
    nearMisses: [
      { conduitSku: 'TEE 1', amazonSku: 'TEE 1 ', differences: ['trailing-space'] },
      { conduitSku: 'mug-red', amazonSku: 'MUG-RED', differences: ['case'] },
    ],
    onlyOnAmazon: ['ONLY-AMAZON'],
    onlyInConduit: ['ONLY-HERE'],
  });
});

test('a duplicate Amazon listing that differs only by a trailing space is flagged even when the clean SKU matches', () => {
  const c = compareCatalogues(['ABC'], ['ABC', 'ABC ']);
  assert.deepEqual(c.exact, ['ABC']);
  assert.deepEqual(c.nearMisses, [{ conduitSku: 'ABC', amazonSku: 'ABC ', differences: ['trailing-space'] }]);
  assert.deepEqual(c.onlyOnAmazon, []);
});

// ---- property tests -------------------------------------------------------------------------------

const skuArb = fc.string({ unit: fc.constantFrom('A', 'a', 'b', 'B', '1', '-', ' ', '\u00a0', '\t', '\u00e9', 'e\u0301', '\ufb01', '\uff21'), maxLength: 8 });

test('property: a SKU is never matched to anything but itself', () => {
  fc.assert(
    fc.property(skuArb, fc.array(skuArb, { maxLength: 8 }), (sku, cat) => {
      const m = matchSku(sku, cat);
      if (m.kind === 'exact') assert.equal(m.sku, sku);
      if (cat.includes(sku)) assert.equal(m.kind, 'exact');
      if (m.kind === 'near-miss') {
        assert.notEqual(m.sku, sku);
        assert.ok(cat.includes(m.sku));
        assert.ok(m.differences.length > 0, `no difference named for ${JSON.stringify(sku)} vs ${JSON.stringify(m.sku)}`);
      }
    }),
    { numRuns: 2000 },
  );
});

test('property: differences are symmetric and empty only for identical SKUs', () => {
  fc.assert(
    fc.property(skuArb, skuArb, (a, b) => {
      if (skuLookalikeKey(a) !== skuLookalikeKey(b)) return;
      assert.deepEqual([...skuDifferences(a, b)].sort(), [...skuDifferences(b, a)].sort());
      assert.equal(skuDifferences(a, b).length === 0, a === b);
    }),
    { numRuns: 2000 },
  );
});

test('property: reconciliation accounts for every SKU on both sides', () => {
  fc.assert(
    fc.property(fc.array(skuArb, { maxLength: 10 }), fc.array(skuArb, { maxLength: 10 }), (conduit, amazon) => {
      const c = compareCatalogues(conduit, amazon);
      const amazonCovered = new Set([...c.exact, ...c.onlyOnAmazon, ...c.nearMisses.map((n) => n.amazonSku)]);
      const conduitCovered = new Set([...c.exact, ...c.onlyInConduit, ...c.nearMisses.map((n) => n.conduitSku)]);
      for (const s of amazon) assert.ok(amazonCovered.has(s));
      for (const s of conduit) assert.ok(conduitCovered.has(s));
      for (const s of c.onlyOnAmazon) assert.ok(!conduit.includes(s));
      for (const n of c.nearMisses) assert.notEqual(n.conduitSku, n.amazonSku);
    }),
    { numRuns: 1000 },
  );
});
