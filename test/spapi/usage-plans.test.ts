/**
 * The committed usage-plan table is what the official models say today: regenerate it from
 * ../shared/sp-api-models and compare byte for byte.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { SP_API_OPERATIONS } from '../../domain/scopes';
import { defaultModelsDir, extractUsagePlans, parseUsagePlanTable, renderUsagePlans, usagePlansJsonPath } from '../../spapi/generate-usage-plans';
import { isRateLimited, USAGE_PLANS, usagePlanFor, usagePlanKey } from '../../spapi/usage-plans';

test('spapi/usage-plans.json matches the models (regenerate: node --import tsx spapi/generate-usage-plans.ts)', () => {
  assert.ok(fs.existsSync(defaultModelsDir), `models not found at ${defaultModelsDir}`);
  const fresh = renderUsagePlans(extractUsagePlans(defaultModelsDir));
  assert.equal(fs.readFileSync(usagePlansJsonPath, 'utf8'), fresh);
});

test('every SP-API operation Conduit calls has a plan from the model it is called on; LWA calls have none', () => {
  for (const op of SP_API_OPERATIONS) {
    if (op === 'exchangeAuthorizationCode' || op === 'refreshAccessToken') {
      assert.equal(isRateLimited(op), false);
      assert.equal(usagePlanFor(op), undefined);
      continue;
    }
    assert.ok(isRateLimited(op), op);
    const plan = usagePlanFor(op);
    assert.ok(plan && plan.rate > 0 && plan.burst >= 1, `${op} has a plan`);
    assert.match(usagePlanKey(op), new RegExp(`#${op}$`));
  }
});

test('the table agrees with the numbers in the reference note (sp-api.md §2.1)', () => {
  assert.deepEqual(USAGE_PLANS.searchOrders, { rate: 0.0056, burst: 20 });
  assert.deepEqual(USAGE_PLANS.getOrder, { rate: 0.5, burst: 30 });
  assert.deepEqual(USAGE_PLANS.confirmShipment, { rate: 2, burst: 10 });
  assert.deepEqual(USAGE_PLANS.getInventorySummaries, { rate: 2, burst: 2 });
  assert.deepEqual(USAGE_PLANS.patchListingsItem, { rate: 5, burst: 5 });
  assert.deepEqual(USAGE_PLANS.createFeed, { rate: 0.0083, burst: 15 });
  assert.deepEqual(USAGE_PLANS.getFeedDocument, { rate: 0.0222, burst: 10 });
  assert.deepEqual(USAGE_PLANS.getMarketplaceParticipations, { rate: 0.016, burst: 15 });
  assert.deepEqual(USAGE_PLANS.createRestrictedDataToken, { rate: 1, burst: 10 });
});

test('the table parser reads both description styles and ignores descriptions without a plan', () => {
  const bold = '**Usage Plan:**\n\n| Rate (requests per second) | Burst |\n| ---- | ---- |\n| 0.0056 | 20 |\n\nThe header…';
  assert.deepEqual(parseUsagePlanTable(bold), { rate: 0.0056, burst: 20 });
  const plain = 'Usage Plan:\n\n| Rate (requests per second) | Burst |\n| ---- | ---- |\n| 2 | 2 |\n';
  assert.deepEqual(parseUsagePlanTable(plain), { rate: 2, burst: 2 });
  assert.equal(parseUsagePlanTable('Sandbox only.'), undefined);
});
