/**
 * A connection's Temporal Schedules from the command line — the same as Web UI → Schedules:
 * list them, run one now (e.g. an FBA sync so hybrid SKUs show their FBA figure), pause or
 * unpause one. An operator's pause note is kept: the connection workflow only unpauses
 * schedules it paused itself.
 *
 *   tsx scripts/schedules.ts list|trigger|pause|unpause --connection <id> [--kind <kind>] [--note <text>]
 */
import type { Client } from '@temporalio/client';
import { scheduleId, scheduleScope, type ScheduleKind } from '../workflows/contracts/schedules';
import { exitWithClearError } from './lib/cli-errors';
import { connectionArg, parseCliArgs, table, UsageError, wantsHelp } from './lib/connection-cli';
import { openOperatorSession, resolveConnectionId } from './lib/operator-session';

export const SCHEDULE_KINDS: readonly ScheduleKind[] = ['order-download', 'fba-sync', 'reconcile', 'listing-feed', 'returns-pickup', 'pii-purge'];

export const usage = `Usage: npm run conduit -- schedules <list|trigger|pause|unpause> --connection <id> [options]

list                    every schedule of the connection: active, paused (with the note) or not created
trigger --kind <kind>   run it now (overlap policy still applies)
pause --kind <kind>     pause it, with --note saying why
unpause --kind <kind>   unpause it

Kinds: ${SCHEDULE_KINDS.join(', ')}

Options:
  --connection <id>   the connection (default: the only one)
  --kind <kind>       which schedule (trigger, pause, unpause)
  --note <text>       why (pause, unpause)                                      [operator]
  --json              machine-readable output (list)
  --help
`;

export interface ScheduleRow {
  id: string;
  kind: ScheduleKind;
  exists: boolean;
  paused: boolean;
  note: string | null;
  scope: string | null;
  nextRunAt: string | null;
}

export async function listSchedules(client: Client, connectionId: string): Promise<ScheduleRow[]> {
  return Promise.all(
    SCHEDULE_KINDS.map(async (kind) => {
      const id = scheduleId(kind, connectionId);
      try {
        const d = await client.schedule.getHandle(id).describe();
        return { id, kind, exists: true, paused: d.state.paused, note: d.state.note ?? null, scope: scheduleScope[kind], nextRunAt: d.info.nextActionTimes[0]?.toISOString() ?? null };
      } catch (err) {
        if (err instanceof Error && err.name === 'ScheduleNotFoundError') return { id, kind, exists: false, paused: false, note: null, scope: scheduleScope[kind], nextRunAt: null };
        throw err;
      }
    }),
  );
}

function kindArg(value: string | undefined, action: string): ScheduleKind {
  if (!value) throw new UsageError(`--kind is required for ${action}: one of ${SCHEDULE_KINDS.join(', ')}`);
  if (!(SCHEDULE_KINDS as readonly string[]).includes(value)) throw new UsageError(`--kind "${value}" is not a schedule kind: use one of ${SCHEDULE_KINDS.join(', ')}`);
  return value as ScheduleKind;
}

/** `schedules …`: 0 done, 1 the schedule does not exist, 2 bad arguments. */
export async function run(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    console.log(usage);
    return 0;
  }
  const [action, ...rest] = argv;
  if (!action || !['list', 'trigger', 'pause', 'unpause'].includes(action)) {
    throw new UsageError(action ? `unknown schedules action "${action}": use list, trigger, pause or unpause` : 'say what to do: list, trigger, pause or unpause');
  }
  const { values } = parseCliArgs(rest, { connection: { type: 'string' }, kind: { type: 'string' }, note: { type: 'string' }, json: { type: 'boolean', default: false } });
  if (values.connection !== undefined) connectionArg(values.connection);
  const kind = action === 'list' ? undefined : kindArg(values.kind, action);
  const session = await openOperatorSession();
  try {
    const connectionId = await resolveConnectionId(session.db, values.connection);
    const client = await session.client();
    if (!kind) {
      const rows = await listSchedules(client, connectionId);
      if (values.json) console.log(JSON.stringify(rows, null, 2));
      else {
        console.log(
          table(
            ['schedule', 'state', 'next run', 'note'],
            rows.map((r) => [r.id, r.exists ? (r.paused ? 'PAUSED' : 'active') : 'not created', r.nextRunAt ?? '-', r.note ?? '']),
          ),
        );
      }
      return 0;
    }
    const id = scheduleId(kind, connectionId);
    const handle = client.schedule.getHandle(id);
    try {
      if (action === 'trigger') await handle.trigger();
      else if (action === 'pause') await handle.pause(`[operator] ${values.note ?? 'paused by an operator'}`);
      else await handle.unpause(`[operator] ${values.note ?? 'unpaused by an operator'}`);
    } catch (err) {
      if (err instanceof Error && err.name === 'ScheduleNotFoundError') {
        console.error(`Schedule ${id} does not exist for ${connectionId} (see: npm run conduit -- schedules list --connection ${connectionId}).`);
        return 1;
      }
      throw err;
    }
    console.log(`${id}: ${action === 'trigger' ? 'triggered — runs now' : action === 'pause' ? 'paused' : 'unpaused'}.`);
    return 0;
  } finally {
    await session.close();
  }
}

if (require.main === module) {
  run(process.argv.slice(2)).then((code) => process.exit(code), exitWithClearError);
}
