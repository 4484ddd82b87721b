/**
 * Committed replay histories: how they are written and read.
 *
 * Decision: histories are stored with their payloads *decoded* (plain JSON payloads), not
 * encrypted. Conduit's order workflows carry no buyer PII by design (order IDs, SKUs, quantities,
 * statuses, tracking numbers of simulated orders), so nothing secret is committed, no test key
 * has to be committed either, and the replay test uses the default data converter.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const HISTORIES_DIR = path.join(__dirname, 'histories');

type History = temporal.api.history.v1.IHistory;

const ENCRYPTED = Buffer.from('binary/encrypted').toString('base64');
const { History } = temporal.api.history.v1;
const { Payload: PayloadMessage } = temporal.api.common.v1;
/** Plain-JSON form of a proto object: 64-bit ids as strings, enums by name, bytes as base64. */
const AS_JSON = { longs: String, enums: String, bytes: String } as const;

function isEncryptedPayload(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const metadata = (value as { metadata?: unknown }).metadata;
  return typeof metadata === 'object' && metadata !== null && (metadata as Record<string, unknown>).encoding === ENCRYPTED;
}

/**
 * The history as plain JSON (History.toObject) with every encoded payload (inputs, results,
 * signals, updates, failures) replaced by its decoded form. Search attributes are never encoded.
 *
 * Not the CLI's proto-JSON (`historyToJSON`): in this install @temporalio/common and
 * @temporalio/proto carry separate protobufjs copies, which makes historyToJSON throw
 * "type must be a Type"; History.toObject/fromObject come from one copy and round-trip exactly.
 */
export async function decodeHistory(history: History, codecs: readonly PayloadCodec[]): Promise<unknown> {
  const json: unknown = History.toObject(History.fromObject(history), AS_JSON);
  const decode = async (payloadJson: Record<string, unknown>): Promise<unknown> => {
    let payloads: Payload[] = [PayloadMessage.fromObject(payloadJson)];
    for (const codec of [...codecs].reverse()) payloads = await codec.decode(payloads);
    return PayloadMessage.toObject(PayloadMessage.fromObject(payloads[0]!), AS_JSON);
  };
  const visit = async (node: unknown): Promise<void> => {
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if (isEncryptedPayload(value)) (node as Record<string, unknown>)[key] = await decode(value);
      else await visit(value);
    }
  };
  await visit(json);
  return json;
}

/** Writes one history as `<name>.json` in the committed histories folder. */
export function saveHistory(name: string, historyJson: unknown): string {
  fs.mkdirSync(HISTORIES_DIR, { recursive: true });
  const file = path.join(HISTORIES_DIR, `${name}.json`);
  fs.writeFileSync(file, `${JSON.stringify(historyJson, null, 1)}\n`);
  return file;
}

/** Every committed history, ready for Worker.runReplayHistories. */
export function loadHistories(): Array<{ workflowId: string; history: History }> {
  if (!fs.existsSync(HISTORIES_DIR)) return [];
  return fs
    .readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ workflowId: f.replace(/\.json$/, ''), history: History.fromObject(JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, f), 'utf8')) as Record<string, unknown>) }));
}
