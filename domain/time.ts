// Instants travel through Conduit as ISO-8601 strings (plain JSON); these helpers are the one place
// that turns them into numbers. `new Date(x)` is only ever called with an argument, never as "now":
// the caller (a workflow or activity) passes `now` in, so the domain stays deterministic.

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Epoch milliseconds of an ISO-8601 date-time with a zone (Z or ±hh:mm), or null if it is not one (e.g. "30 Feb", no zone). */
export function parseInstant(iso: string): number | null {
  const m = ISO_INSTANT.exec(iso);
  if (!m) return null;
  const ms = new Date(iso).getTime();
  if (Number.isNaN(ms)) return null;
  // JS rolls "2026-02-30" over to 2 March; a seller's date that does not exist is not a date.
  const [, y, mo, d, h, mi, s] = m;
  const year = Number(y), month = Number(mo), day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s ?? '0') > 59) return null;
  return ms;
}

/** Like parseInstant, but for instants Conduit itself produced: a bad value is a bug, so it throws. */
export function instantOrThrow(iso: string, what: string): number {
  const ms = parseInstant(iso);
  if (ms === null) throw new Error(`${what} must be an ISO-8601 date-time with a zone, got ${JSON.stringify(iso)}`);
  return ms;
}

/** Canonical UTC ISO string (e.g. 2026-11-27T10:00:00.000Z) for epoch milliseconds. */
export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Number of days in a calendar month (month 1–12), Gregorian. */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** One minute in milliseconds, for readable arithmetic. */
export const MINUTE_MS = 60_000;
