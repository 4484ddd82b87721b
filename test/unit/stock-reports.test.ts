/** Amazon's flat-file reports as Conduit reads them: returns become business-keyed returns, listings become drift and SKU mismatches. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareListings, parseListingsReport } from '../../activities/reconcile';
import { parseReturnsReport } from '../../activities/returns';
import { reportDate } from '../../activities/report-tsv';

const tsv = (rows: string[][]) => rows.map((r) => r.join('\t')).join('\n') + '\n';

test('FBM returns are keyed by Amazon RMA id; rows missing what identifies a return are counted, not guessed', () => {
  const text = tsv([
    ['Order ID', 'Order date', 'Return request date', 'Amazon RMA ID', 'Merchant SKU', 'Return quantity', 'Return Reason'],
    ['202-1234567-1234567', '2026-11-01', '2026-11-20', 'DABC123RRMA', 'MUG RED ', '2', 'Damaged'],
    ['202-1234567-1234568', '2026-11-01', '2026-11-20', '', 'MUG', '1', 'x'],
    ['202-1234567-1234569', '2026-11-01', 'not a date', 'D2', 'MUG', '1', 'x'],
  ]);
  const { returns, skipped } = parseReturnsReport('GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE', text);
  assert.equal(skipped, 2);
  assert.deepEqual(returns, [
    { returnId: 'fbm:DABC123RRMA', route: 'FBM', amazonOrderId: '202-1234567-1234567', sku: 'MUG RED ', quantity: 2, returnedAt: '2026-11-20T00:00:00.000Z', disposition: 'Damaged' },
  ]);
});

test('FBA returns are keyed by order, SKU and licence plate, and keep Amazon’s grade', () => {
  const text = tsv([
    ['return-date', 'order-id', 'sku', 'asin', 'fnsku', 'product-name', 'quantity', 'fulfillment-center-id', 'detailed-disposition', 'reason', 'status', 'license-plate-number', 'customer-comments'],
    ['2026-11-20T10:00:00+00:00', '202-1234567-1234567', 'TEE', 'B0', 'X0', 'Tee', '1', 'LTN4', 'CUSTOMER_DAMAGED', 'DEFECTIVE', 'Reimbursed', 'LPN123', ''],
  ]);
  const { returns } = parseReturnsReport('GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA', text);
  assert.deepEqual(returns, [
    { returnId: 'fba:202-1234567-1234567:TEE:LPN123', route: 'FBA', amazonOrderId: '202-1234567-1234567', sku: 'TEE', quantity: 1, returnedAt: '2026-11-20T10:00:00.000Z', disposition: 'CUSTOMER_DAMAGED' },
  ]);
});

test('report dates in Amazon’s three shapes', () => {
  assert.equal(reportDate('2026-11-20'), '2026-11-20T00:00:00.000Z');
  assert.equal(reportDate('2026-11-20 10:00:00 GMT'), '2026-11-20T10:00:00.000Z');
  assert.equal(reportDate('2026-11-20T10:00:00+01:00'), '2026-11-20T09:00:00.000Z');
  assert.equal(reportDate(''), undefined);
});

test('the listings snapshot gives drift for exact SKUs only and names near-misses without mapping them', () => {
  const text = tsv([
    ['item-name', 'seller-sku', 'quantity', 'fulfillment-channel'],
    ['Mug', 'MUG', '9', 'DEFAULT'],
    ['Tee', 'TEE', '4', 'DEFAULT'],
    ['Tee', 'TEE', '', 'AMAZON_EU'],
    ['Cap', 'cap', '3', 'DEFAULT'],
    ['Book', 'BOOK', '', 'AMAZON_EU'],
  ]);
  const amazon = parseListingsReport(text);
  assert.deepEqual(amazon.skus, ['MUG', 'TEE', 'cap', 'BOOK']);
  const result = compareListings(
    [
      { sku: 'MUG', fulfilment: 'FBM', fbmQuantity: 5 },
      { sku: 'TEE', fulfilment: 'HYBRID', fbmQuantity: 4 },
      { sku: 'CAP', fulfilment: 'FBM', fbmQuantity: 3 },
      { sku: 'BOOK', fulfilment: 'FBA', fbmQuantity: 0 },
      { sku: 'KETTLE', fulfilment: 'FBM', fbmQuantity: 1 },
    ],
    amazon,
  );
  assert.deepEqual(result.drift, [{ sku: 'MUG', ledgerQuantity: 5, amazonQuantity: 9 }]);
  assert.deepEqual(result.nearMisses.map((n) => [n.conduitSku, n.amazonSku, n.differences]), [['CAP', 'cap', ['case']]]);
  assert.match(result.nearMisses[0]!.message, /Conduit pushes no quantity/);
  assert.deepEqual(result.onlyOnAmazon, []);
  assert.deepEqual(result.onlyInConduit, ['KETTLE']);
  assert.equal(result.skusCompared, 3);
});
