/**
 * Bulk listing changes (titles, descriptions, prices) and the feeds that send them.
 *
 *   tsx scripts/listings.ts queue --sku <sku> [--title <t>] [--description <d>] [--price <p>] [--connection <id>]
 *   tsx scripts/listings.ts queue --file changes.json [--connection <id>]
 *   tsx scripts/listings.ts run-feed-now [--by <name>] [--wait] [--connection <id>]
 *   tsx scripts/listings.ts status [--connection <id>] [--json]
 *   tsx scripts/listings.ts schedule [--window 22-06] [--connection <id>]
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { WorkflowNotFoundError } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import {
  describeListingFeedSchedule,
  ensureListingFeedSchedule,
  listingChangeStatus,
  parseFeedWindow,
  queueListingChanges,
  startListingFeedRun,
  type ListingChangeInput,
  type ListingChangeProblem,
} from '../activities/feeds';
import { schema } from '../db/client';
import { describeWindow, type DailyWindow } from '../domain/schedule';
import { listingFeedStatusQuery, listingFeedWorkflowId, type ListingFeedResult, type ListingFeedStatus } from '../workflows/contracts/feeds';
import { exitWithClearError } from './lib/cli-errors';
import { UsageError } from './lib/connection-cli';
import { openOperatorSession, resolveConnectionId } from './lib/operator-session';

export const usage = `Usage: tsx scripts/listings.ts <command> [options]

Commands:
  queue --sku <sku> [--title <t>] [--description <d>] [--price <p>]
                        queue one listing change (latest value per SKU wins); quantities are not listing
                        changes — use \`npm run conduit -- stock adjust\`
  queue --file <changes.json>
                        queue many: a JSON array of {"sku", "title"?, "description"?, "price"?}; all or nothing
  run-feed-now [--by <name>] [--wait]
                        send the queued changes now, even outside the feed window (the override is recorded)
  status [--json]       queued / in feed / accepted / rejected (with Amazon's reason), feeds in flight, the running feed
  schedule [--window 22-06]
                        set the off-peak feed window (UK hours; default 22-06) and create/update the schedule

Common options:
  --connection <id>     the seller connection (default: the only one)
  --help
`;

function formatProblems(problems: ListingChangeProblem[]): string {
  return problems.map((p) => `  ${p.index >= 0 ? `#${p.index + 1} ` : ''}${p.sku ? `${JSON.stringify(p.sku)} ` : ''}${p.field}: ${p.message}`).join('\n');
}

function parseWindowArg(text: string): DailyWindow {
  const match = /^(\d{1,2})-(\d{1,2})$/.exec(text.trim());
  const [start, end] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  if (!(start >= 0 && start <= 24 && end >= 0 && end <= 24)) throw new UsageError(`--window must look like 22-06 (UK hours 0–24, start-end), got ${JSON.stringify(text)}`);
  return { startHour: start, endHour: end, timeZone: 'Europe/London' };
}

function formatRunStatus(s: ListingFeedStatus): string {
  const lines = [`Feed run for ${s.connectionId}: ${s.phase}${s.windowOverridden ? ` (window overridden by ${s.requestedBy ?? 'an operator'})` : ''}`];
  if (s.current) {
    lines.push(`  in flight: ${s.current.skus} SKUs, Amazon feed ${s.current.amazonFeedId ?? '(not yet submitted)'} ${s.current.status}${s.current.waitingPushes.length ? `, stock pushes waiting: ${s.current.waitingPushes.join(', ')}` : ''}`);
  }
  const t = s.totals;
  lines.push(`  feeds ${t.feeds}, accepted ${t.accepted}, rejected ${t.rejected}, re-queued ${t.requeued}, cancelled for stock ${t.cancelledForStock}, stock pushes held ${t.pushesHeld}, stuck feeds ${t.stuckFeeds}`);
  for (const a of s.attention) lines.push(`  ⚠ ${a}`);
  return lines.join('\n');
}

/** `listings queue|run-feed-now|status|schedule`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      connection: { type: 'string' },
      sku: { type: 'string' },
      title: { type: 'string' },
      description: { type: 'string' },
      price: { type: 'string' },
      quantity: { type: 'string' },
      file: { type: 'string' },
      by: { type: 'string' },
      wait: { type: 'boolean', default: false },
      window: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const command = positionals[0];
  if (values.help || !command || !['queue', 'run-feed-now', 'status', 'schedule'].includes(command)) {
    console.log(usage);
    return values.help ? 0 : 2;
  }
  const session = await openOperatorSession();
  try {
    const connectionId = await resolveConnectionId(session.db, values.connection);

    if (command === 'queue') {
      let changes: ListingChangeInput[];
      if (values.file) {
        const parsed = JSON.parse(fs.readFileSync(values.file, 'utf8')) as unknown;
        if (!Array.isArray(parsed)) throw new Error(`${values.file} must hold a JSON array of {"sku", "title"?, "description"?, "price"?}`);
        changes = parsed as ListingChangeInput[];
      } else {
        if (!values.sku) {
          console.error('queue needs --sku <sku> (or --file <changes.json>)');
          return 2;
        }
        changes = [
          {
            sku: values.sku,
            ...(values.title !== undefined ? { title: values.title } : {}),
            ...(values.description !== undefined ? { description: values.description } : {}),
            ...(values.price !== undefined ? { price: values.price } : {}),
            ...(values.quantity !== undefined ? { quantity: values.quantity } : {}),
          },
        ];
      }
      const result = await queueListingChanges(session.db, connectionId, changes);
      if (!result.ok) {
        console.error(`Nothing was queued: fix these and run it again.\n${formatProblems(result.problems)}`);
        return 1;
      }
      console.log(`Queued ${result.queued} listing change(s) for ${connectionId}. They go out in the next feed run (status: npm run conduit -- listings status).`);
      return 0;
    }

    if (command === 'run-feed-now') {
      const client = await session.client();
      const run = await startListingFeedRun(client, { connectionId, taskQueue: session.config.TEMPORAL_TASK_QUEUE, requestedBy: values.by ?? 'operator', overrideWindow: true });
      console.log(
        run.joinedExisting
          ? `A feed run is already in flight for ${connectionId} (${run.workflowId}); not starting another.`
          : `Started ${run.workflowId} (window override recorded, requested by ${values.by ?? 'operator'}).`,
      );
      if (values.wait) {
        const result = (await client.workflow.getHandle(run.workflowId).result()) as ListingFeedResult;
        console.log(`Finished: ${result.outcome}; accepted ${result.totals.accepted}, rejected ${result.totals.rejected}, still queued ${result.stillQueued}.`);
        for (const r of result.rejected) console.log(`  ✗ ${r.sku}: ${r.message}`);
        for (const a of result.attention) console.log(`  ⚠ ${a}`);
      }
      return 0;
    }

    if (command === 'schedule') {
      if (values.window) {
        const window = parseWindowArg(values.window);
        await session.db.update(schema.connections).set({ feedWindow: window }).where(eq(schema.connections.id, connectionId));
      }
      const [row] = await session.db.select({ feedWindow: schema.connections.feedWindow }).from(schema.connections).where(eq(schema.connections.id, connectionId));
      const client = await session.client();
      const { created } = await ensureListingFeedSchedule(client, { connectionId, taskQueue: session.config.TEMPORAL_TASK_QUEUE, window: parseFeedWindow(row?.feedWindow).window });
      const info = await describeListingFeedSchedule({ db: session.db, workflowClient: client }, connectionId);
      console.log(`${created ? 'Created' : 'Updated'} schedule ${info.scheduleId}: bulk feeds ${info.windowText}${info.overlapsPeakHours ? ' ⚠ overlaps UK peak trading hours' : ' (outside UK peak trading hours)'}.`);
      console.log('Stock pushes for SKUs inside a feed in flight are held or the feed is cancelled; quantities are never sent in feeds.');
      return 0;
    }

    // status
    const status = await listingChangeStatus(session.db, connectionId);
    let run: ListingFeedStatus | null = null;
    let runProblem: string | null = null;
    try {
      const client = await session.client();
      const handle = client.workflow.getHandle(listingFeedWorkflowId(connectionId));
      if ((await handle.describe()).status.name === 'RUNNING') {
        const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 5 s')), 5_000).unref());
        run = await Promise.race([handle.query(listingFeedStatusQuery), timeout]);
      }
    } catch (err) {
      // The table above is the source of truth; the live run's view is a bonus (no run yet, no worker answering).
      if (!(err instanceof WorkflowNotFoundError)) runProblem = err instanceof Error ? err.message : String(err);
    }
    if (values.json) {
      console.log(JSON.stringify({ ...status, run }, null, 2));
      return 0;
    }
    const c = status.counts;
    console.log(`Listing changes for ${connectionId}: queued ${c.QUEUED}, in a feed ${c.IN_FEED}, accepted ${c.ACCEPTED}, rejected ${c.REJECTED}`);
    for (const f of status.inFlightFeeds) console.log(`  feed ${f.id}: Amazon ${f.amazonFeedId ?? '-'} ${f.status}, ${f.skus} SKUs, submitted ${f.submittedAt ?? '-'}`);
    if (status.rejected.length > 0) {
      console.log('Rejected by Amazon (fix and queue again):');
      for (const r of status.rejected) console.log(`  ✗ ${r.sku}: ${r.message ?? '(no reason)'}`);
    }
    const info = await describeListingFeedSchedule({ db: session.db, workflowClient: await session.client() }, connectionId).catch(() => null);
    if (info) console.log(`Feed window ${describeWindow(info.window)}${info.windowIsDefault ? ' (default)' : ''}; schedule ${info.scheduleExists ? (info.paused ? 'PAUSED' : 'active') : 'not created (npm run conduit -- listings schedule)'}`);
    if (run) console.log(formatRunStatus(run));
    else if (runProblem) console.log(`Feed run in flight: could not ask it (${runProblem}); is a Conduit worker running?`);
    return 0;
  } finally {
    await session.close();
  }
}

if (require.main === module) {
  run(process.argv.slice(2)).then((code) => process.exit(code), exitWithClearError);
}
