import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { APP, SELLER, UK, US, assertExchangesConform, rawRequest, rejection, spClient, startTestSim, type TestSim } from './helpers';
import { ROLES } from '../../simulator/roles';

let t: TestSim;

before(async () => {
  t = await startTestSim({ timeScale: 1 });
});

after(async () => {
  await t.close();
  assertExchangesConform(t.handle);
});

const participations = { operation: 'sellers.getMarketplaceParticipations' };

test('LWA accepts JSON and form bodies and answers in the OAuth shape', async () => {
  const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: t.refreshToken, client_id: APP.clientId, client_secret: APP.clientSecret });
  const viaForm = await rawRequest(t.handle, { host: 'api.amazon.com', method: 'POST', path: '/auth/o2/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
  assert.equal(viaForm.status, 200);
  const token = viaForm.json() as Record<string, unknown>;
  assert.match(String(token.access_token), /^Atza\|/);
  assert.equal(token.token_type, 'bearer');
  assert.equal(token.expires_in, 3600);
  assert.equal(token.refresh_token, undefined);

  const viaJson = await rawRequest(t.handle, {
    host: 'api.amazon.com', method: 'POST', path: '/auth/o2/token', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: t.refreshToken, client_id: APP.clientId, client_secret: APP.clientSecret }),
  });
  assert.equal(viaJson.status, 200);
});

test('LWA errors: invalid_client 401, invalid_grant 400, unauthorized_client 400, unsupported_grant_type', async () => {
  const call = (body: Record<string, string>) => rawRequest(t.handle, { host: 'api.amazon.com', method: 'POST', path: '/auth/o2/token', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const wrongSecret = await call({ grant_type: 'refresh_token', refresh_token: t.refreshToken, client_id: APP.clientId, client_secret: 'nope' });
  assert.equal(wrongSecret.status, 401);
  assert.deepEqual(wrongSecret.json(), { error: 'invalid_client', error_description: 'Client authentication failed' });

  const unknownToken = await call({ grant_type: 'refresh_token', refresh_token: 'Atzr|made-up', client_id: APP.clientId, client_secret: APP.clientSecret });
  assert.equal(unknownToken.status, 400);
  assert.equal((unknownToken.json() as { error: string }).error, 'invalid_grant');

  const other = await t.control.registerApp({ clientId: 'amzn1.application-oa2-client.other', clientSecret: 'other-secret' });
  const foreign = await call({ grant_type: 'refresh_token', refresh_token: t.refreshToken, client_id: other.clientId, client_secret: other.clientSecret });
  assert.equal(foreign.status, 400);
  assert.equal((foreign.json() as { error: string }).error, 'unauthorized_client');

  const password = await call({ grant_type: 'password', client_id: APP.clientId, client_secret: APP.clientSecret });
  assert.equal((password.json() as { error: string }).error, 'unsupported_grant_type');
});

test('the client surfaces LWA errors as CustomError with the OAuth code', async () => {
  const err = await rejection(spClient(t.handle, 'Atzr|not-a-token').callAPI(participations));
  assert.equal(err.code, 'invalid_grant');
});

test('consent code → authorization_code exchange → working refresh token; codes are single-use and expire after 5 minutes', async () => {
  const consent = await t.control.consent({ clientId: APP.clientId, sellerId: SELLER, roles: [ROLES.sellingPartnerInsights] });
  assert.equal(consent.selling_partner_id, SELLER);
  const sp = t.client();
  const exchanged = await sp.exchange(consent.spapi_oauth_code);
  assert.match(exchanged.refresh_token, /^Atzr\|/);
  assert.match(exchanged.access_token, /^Atza\|/);
  const fresh = spClient(t.handle, exchanged.refresh_token);
  const payload = await fresh.callAPI(participations);
  assert.equal(payload[0].marketplace.id, UK);

  const again = await rejection(sp.exchange(consent.spapi_oauth_code));
  assert.equal(again.code, 'invalid_grant');

  const late = await t.control.consent({ clientId: APP.clientId, sellerId: SELLER, roles: [ROLES.productListing] });
  await t.control.advance(301);
  const expired = await rejection(sp.exchange(late.spapi_oauth_code));
  assert.equal(expired.code, 'invalid_grant');
});

test('an expired access token gives 403 "access token … expired" and the client refreshes transparently', async () => {
  const sp = t.client();
  await sp.callAPI(participations);
  const firstToken = sp.access_token;
  const { expired } = await t.control.expireAccessTokens();
  assert.ok(expired >= 1);
  const payload = await sp.callAPI(participations);
  assert.equal(payload.length, 2);
  assert.notEqual(sp.access_token, firstToken);
  const denied = t.handle.state.exchanges.filter((e) => e.operation === 'sellers.getMarketplaceParticipations' && e.status === 403);
  const body = denied.at(-1)?.responseBody as { errors: { code: string; details: string }[] };
  assert.equal(body.errors[0]?.code, 'Unauthorized');
  assert.match(body.errors[0]?.details ?? '', /access token.*expired/);
});

test('access tokens expire by themselves after the TTL (simulated)', async () => {
  const sp = t.client();
  await sp.callAPI(participations);
  await t.control.advance(3601);
  await sp.callAPI(participations);
  const statuses = t.handle.state.exchanges.filter((e) => e.operation === 'sellers.getMarketplaceParticipations').slice(-3).map((e) => e.status);
  assert.deepEqual(statuses, [200, 403, 200]);
});

test('revoking a role denies the next call (403 Unauthorized, empty details); granting it back restores access', async () => {
  const sp = t.client();
  const inventory = { operation: 'fbaInventory.getInventorySummaries', query: { granularityType: 'Marketplace', granularityId: UK, marketplaceIds: [UK] } };
  await sp.callAPI(inventory);
  await t.control.revokeRoles(SELLER, [ROLES.productListing, ROLES.amazonFulfillment]);
  const err = await rejection(sp.callAPI(inventory));
  assert.equal(err.code, 'Unauthorized');
  assert.equal(err.message, 'Access to requested resource is denied.');
  assert.equal(err.details, '');
  await t.control.grantRoles(SELLER, [ROLES.productListing, ROLES.amazonFulfillment]);
  await sp.callAPI(inventory);
});

test('an EU authorisation used on the NA endpoint is denied with empty details', async () => {
  const na = spClient(t.handle, t.refreshToken, 'na');
  const err = await rejection(na.callAPI(participations));
  assert.equal(err.code, 'Unauthorized');
  assert.equal(err.details, '');
});

test('marketplaceIds outside the seller region give 400 InvalidInput naming the marketplace', async () => {
  const err = await rejection(t.client().callAPI({ operation: 'orders.searchOrders', query: { createdAfter: '2020-01-01T00:00:00Z', marketplaceIds: [US] } }));
  assert.equal(err.code, 'InvalidInput');
  assert.match(err.message ?? '', new RegExp(US));
});

test('grantless operations need a client_credentials token; seller tokens are refused there', async () => {
  const sp = t.client();
  const created = await sp.callAPI({ operation: 'notifications.createDestination', body: { name: 'conduit', resourceSpecification: { sqs: { arn: 'arn:aws:sqs:eu-west-1:123456789012:conduit' } } } });
  assert.ok(created.destinationId);
  const token = await rawRequest(t.handle, {
    host: 'api.amazon.com', method: 'POST', path: '/auth/o2/token', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: t.refreshToken, client_id: APP.clientId, client_secret: APP.clientSecret }),
  });
  const sellerToken = (token.json() as { access_token: string }).access_token;
  const res = await rawRequest(t.handle, { host: 'sellingpartnerapi-eu.amazon.com', method: 'GET', path: '/notifications/v1/destinations', headers: { 'x-amz-access-token': sellerToken } });
  assert.equal(res.status, 403);
  const scope = await rawRequest(t.handle, {
    host: 'api.amazon.com', method: 'POST', path: '/auth/o2/token', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials', scope: 'sellingpartnerapi::made-up', client_id: APP.clientId, client_secret: APP.clientSecret }),
  });
  assert.equal((scope.json() as { error: string }).error, 'invalid_scope');
});

test('a restricted data token works only for the resources it names', async () => {
  const sp = t.client();
  const rdt = await sp.callAPI({ operation: 'tokens.createRestrictedDataToken', body: { restrictedResources: [{ method: 'GET', path: '/sellers/v1/marketplaceParticipations' }] } });
  assert.match(rdt.restrictedDataToken, /^Atz\.sprdt\|/);
  assert.equal(rdt.expiresIn, 3600);
  const ok = await sp.callAPI({ ...participations, restricted_data_token: rdt.restrictedDataToken });
  assert.equal(ok.length, 2);
  const denied = await rejection(sp.callAPI({ operation: 'orders.getOrder', path: { orderId: '123-1234567-1234567' }, restricted_data_token: rdt.restrictedDataToken }));
  assert.equal(denied.code, 'Unauthorized');
});

test('revoking the authorisation turns the refresh token into invalid_grant', async () => {
  const { refreshToken } = await t.control.authorise(SELLER, { clientId: APP.clientId, roles: [ROLES.sellingPartnerInsights] });
  const sp = spClient(t.handle, refreshToken);
  await sp.callAPI(participations);
  await t.control.revokeAuthorisation(SELLER, { refreshToken });
  const first = await rejection(sp.callAPI(participations));
  assert.equal(first.code, 'Unauthorized');
  assert.match(first.details ?? '', /revoked, malformed or invalid/);
  const refresh = await rejection(sp.refreshAccessToken());
  assert.equal(refresh.code, 'invalid_grant');
});
