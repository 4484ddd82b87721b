import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SCOPES,
  SP_API_OPERATIONS,
  scopeDisplayName,
  scopeForOperation,
  scopeForReport,
  symptomForScope,
  rolesForScope,
  probeOperationForScope,
  isConnectionOperation,
  isScope,
  CONDUIT_ROLES,
} from '../../domain';

test('the four scopes carry the guide\'s display names', () => {
  assert.deepEqual(SCOPES.map(scopeDisplayName), ['Selling Partner Insights', 'Fulfilment Inventory', 'Orders', 'Feeds']);
});

test('an AccessDenied on order download points at Selling Partner Insights and the seller sees orders stop', () => {
  const scope = scopeForOperation('searchOrders');
  assert.equal(scope, 'SELLING_PARTNER_INSIGHTS');
  assert.equal(symptomForScope(scope), 'Orders stop appearing in Conduit; AccessDenied on searchOrders');
  assert.equal(scopeForOperation('getOrder'), 'SELLING_PARTNER_INSIGHTS');
});

test('a failed tracking push is the Orders scope: FBM orders stay Unshipped', () => {
  assert.equal(scopeForOperation('confirmShipment'), 'ORDERS');
  assert.equal(symptomForScope('ORDERS'), 'Tracking fails to push; FBM orders stay Unshipped in Seller Central');
});

test('FBA stock read is Fulfilment Inventory', () => {
  assert.equal(scopeForOperation('getInventorySummaries'), 'FULFILMENT_INVENTORY');
  assert.equal(symptomForScope('FULFILMENT_INVENTORY'), 'FBA inventory levels no longer update');
});

test('FBM quantity pushes (patchListingsItem) fail together with bulk feeds, under Feeds', () => {
  assert.equal(scopeForOperation('patchListingsItem'), 'FEEDS');
  assert.equal(scopeForOperation('createFeed'), 'FEEDS');
  assert.match(symptomForScope('FEEDS'), /FBM quantities not updated/);
});

test('returns reports belong to the scope whose data they read', () => {
  assert.equal(scopeForReport('GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA'), 'FULFILMENT_INVENTORY');
  assert.equal(scopeForReport('GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE'), 'SELLING_PARTNER_INSIGHTS');
  assert.equal(scopeForOperation('getReportDocument', 'GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA'), 'FULFILMENT_INVENTORY');
  assert.equal(scopeForOperation('createReport', 'GET_MERCHANT_LISTINGS_ALL_DATA'), 'FEEDS');
  // A report type on a non-report call is ignored.
  assert.equal(scopeForOperation('confirmShipment', 'GET_MERCHANT_LISTINGS_ALL_DATA'), 'ORDERS');
});

test('every operation Conduit calls maps to one of the four scopes', () => {
  assert.equal(new Set(SP_API_OPERATIONS).size, 20);
  for (const op of SP_API_OPERATIONS) assert.ok(isScope(scopeForOperation(op)), op);
});

test('token refresh and code exchange are connection-wide: re-authorise, do not chase a scope', () => {
  assert.ok(isConnectionOperation('refreshAccessToken'));
  assert.ok(isConnectionOperation('exchangeAuthorizationCode'));
  assert.ok(!isConnectionOperation('searchOrders'));
});

test('roles are real SP-API role names from the reference mapping, never the guide\'s scope names', () => {
  assert.deepEqual([...rolesForScope('ORDERS')], ['Inventory and Order Tracking', 'Direct-to-Consumer Shipping (Restricted)']);
  assert.ok(rolesForScope('FEEDS').includes('Product Listing'));
  assert.ok(rolesForScope('FULFILMENT_INVENTORY').includes('Product Listing'));
  assert.ok(rolesForScope('SELLING_PARTNER_INSIGHTS').includes('Selling Partner Insights'));
  for (const scope of SCOPES) {
    for (const role of rolesForScope(scope)) assert.ok(!['Fulfilment Inventory', 'Orders', 'Feeds'].includes(role), role);
  }
  // The minimal role set covers every scope.
  for (const scope of SCOPES) assert.ok(rolesForScope(scope).some((r) => CONDUIT_ROLES.includes(r)), scope);
});

test('each scope has a probe call that belongs to that scope', () => {
  for (const scope of SCOPES) assert.equal(scopeForOperation(probeOperationForScope(scope)), scope);
  assert.equal(probeOperationForScope('FULFILMENT_INVENTORY'), 'getInventorySummaries');
});
