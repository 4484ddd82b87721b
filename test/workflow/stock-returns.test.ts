/**
 * The return workflow on the time-skipping server with stubbed activities: an FBM return waits for
 * inspection, escalates to needs-attention when nobody inspects it within the timeout (and keeps
 * waiting), restocks once however often the signal repeats, and FBA returns never wait or push.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ApplyDecisionResult, createReturnActivities } from '../../activities/returns';
import type { createStockActivities, RequestStockPushInput } from '../../activities/stock';
import { startTimeSkipping, type TimeSkipping } from '../support/time-skipping';
import { inspectionSignal, returnStateQuery, returnWorkflowId, type InspectionDecision, type ReturnWorkflowInput } from '../../workflows/contracts/stock';

type Activities = ReturnType<typeof createReturnActivities> & ReturnType<typeof createStockActivities>;

let server: TimeSkipping;
let env: TestWorkflowEnvironment;
const taskQueue = 'stock-returns-test';

const fake = {
  decisions: [] as Array<{ returnId: string; decision: InspectionDecision }>,
  decided: new Map<string, ApplyDecisionResult>(),
  attention: [] as Array<{ returnId: string; message: string | null }>,
  pushes: [] as RequestStockPushInput[],
};

const activities: Pick<Activities, 'applyReturnDecision' | 'markReturnAttention' | 'requestStockPush'> = {
  async applyReturnDecision(input) {
    fake.decisions.push({ returnId: input.returnId, decision: input.decision });
    const before = fake.decided.get(input.returnId);
    if (before && before.ok) return { ...before, alreadyDecided: true };
    const fba = input.returnId.startsWith('fba:');
    const status = fba ? 'RECORDED' : input.decision === 'RESTOCK' ? 'RESTOCKED' : 'DISPOSED';
    const result: ApplyDecisionResult = { ok: true, status, restocked: !fba && input.decision === 'RESTOCK', alreadyDecided: false, sku: 'MUG-RED' };
    fake.decided.set(input.returnId, result);
    return result;
  },
  async markReturnAttention(input) {
    fake.attention.push({ returnId: input.returnId, message: input.message });
  },
  async requestStockPush(input) {
    fake.pushes.push(input);
  },
};

before(async () => {
  server = await startTimeSkipping();
  env = server.env;
  await server.serve(taskQueue, activities);
});

after(() => server?.teardown());

beforeEach(() => {
  fake.decisions = [];
  fake.decided = new Map();
  fake.attention = [];
  fake.pushes = [];
});

const fbmReturn = (rma: string): ReturnWorkflowInput => ({
  connectionId: 'uk-acme',
  returnId: `fbm:${rma}`,
  route: 'FBM',
  amazonOrderId: '202-1234567-7654321',
  sku: 'MUG-RED',
  quantity: 2,
  returnedAt: '2026-11-20T00:00:00.000Z',
});

const start = (input: ReturnWorkflowInput) =>
  env.client.workflow.start('customerReturn', { workflowId: returnWorkflowId(input.connectionId, input.returnId), taskQueue, args: [input] });

test('an FBM return nobody inspects becomes needs-attention after 48 h, keeps waiting, then restocks once', async () => {
  const handle = await start(fbmReturn('RMA-1'));
  await env.sleep('47 hours');
  assert.equal((await handle.query(returnStateQuery)).needsAttention, null, 'no alarm before the timeout');
  await env.sleep('2 hours');
  const waiting = await handle.query(returnStateQuery);
  assert.equal(waiting.status, 'AWAITING_INSPECTION');
  assert.match(waiting.needsAttention ?? '', /fbm:RMA-1.*still not inspected/);
  assert.equal(fake.attention.length, 1, 'the operator is told once, in the returns table');
  assert.match(fake.attention[0]!.message ?? '', /2 × MUG-RED/);
  assert.equal(fake.decisions.length, 0, 'nothing is restocked by default');

  await handle.signal(inspectionSignal, { decision: 'RESTOCK', by: 'warehouse' });
  await handle.signal(inspectionSignal, { decision: 'RESTOCK', by: 'warehouse' });
  await handle.signal(inspectionSignal, { decision: 'DISPOSE', by: 'someone else' });
  const result = await handle.result();
  assert.equal(result.status, 'RESTOCKED');
  assert.equal(result.needsAttention, null);
  assert.deepEqual(fake.decisions, [{ returnId: 'fbm:RMA-1', decision: 'RESTOCK' }], 'restocked once, the first decision wins');
  assert.deepEqual(fake.pushes, [{ connectionId: 'uk-acme', skus: ['MUG-RED'], cause: 'RETURN_RESTOCK' }]);
});

test('a disposed FBM return moves no stock and pushes nothing', async () => {
  const handle = await start(fbmReturn('RMA-2'));
  await env.sleep('3 hours');
  await handle.signal(inspectionSignal, { decision: 'DISPOSE', by: 'warehouse' });
  const result = await handle.result();
  assert.equal(result.status, 'DISPOSED');
  assert.deepEqual(fake.decisions, [{ returnId: 'fbm:RMA-2', decision: 'DISPOSE' }]);
  assert.deepEqual(fake.pushes, []);
  assert.deepEqual(fake.attention, [], 'inspected in time: nobody is alarmed');
});

test('an FBA return is recorded from Amazon’s grade at once and never pushes an FBM figure', async () => {
  const input: ReturnWorkflowInput = { ...fbmReturn('x'), returnId: 'fba:202-1234567-7654321:MUG-RED:LPN1', route: 'FBA', fbaSellable: true };
  const result = await (await start(input)).result();
  assert.equal(result.status, 'RECORDED');
  assert.deepEqual(fake.decisions, [{ returnId: input.returnId, decision: 'RESTOCK' }]);
  assert.deepEqual(fake.pushes, []);
});

test('a shorter inspection timeout can be configured per return', async () => {
  const handle = await start({ ...fbmReturn('RMA-3'), inspectionTimeoutHours: 4 });
  await env.sleep('5 hours');
  assert.match((await handle.query(returnStateQuery)).needsAttention ?? '', /received 4 h ago/);
  await handle.signal(inspectionSignal, { decision: 'DISPOSE', by: 'warehouse' });
  assert.equal((await handle.result()).status, 'DISPOSED');
});
