// Off-peak windows for bulk listing feeds. Amazon's feed queue can stall an FBM quantity push for
// 30–90 minutes when a bulk feed for the same SKUs is running, so feeds run at night, UK time. UK time
// is computed here from the UK rules (BST from 01:00 UTC on the last Sunday of March to 01:00 UTC on
// the last Sunday of October), with no dependency on the host's time-zone database.

import { instantOrThrow, daysInMonth, toIso } from './time';

/** A daily window in UK wall-clock hours, [startHour, endHour); crosses midnight when endHour ≤ startHour; startHour = endHour means all day. */
export type DailyWindow = { startHour: number; endHour: number; timeZone: 'Europe/London' };

/** Default bulk feed window: 22:00–06:00 UK time. */
export const DEFAULT_FEED_WINDOW: DailyWindow = { startHour: 22, endHour: 6, timeZone: 'Europe/London' };

/** Default UK peak trading hours for the checklist: 08:00–22:00 UK time. */
export const DEFAULT_PEAK_HOURS: DailyWindow = { startHour: 8, endHour: 22, timeZone: 'Europe/London' };

const HOUR_MS = 3_600_000;

/** Day of the month (1–31) of the last Sunday of a month (month 1–12). */
export function lastSundayOf(year: number, month: number): number {
  const last = daysInMonth(year, month);
  const weekday = new Date(Date.UTC(year, month - 1, last)).getUTCDay(); // 0 = Sunday
  return last - weekday;
}

/** UK offset from UTC at an instant, in minutes: 60 during British Summer Time, 0 during GMT. */
export function ukOffsetMinutes(iso: string): 0 | 60 {
  return ukOffsetAt(instantOrThrow(iso, 'instant'));
}

function ukOffsetAt(ms: number): 0 | 60 {
  const year = new Date(ms).getUTCFullYear();
  const bstStarts = Date.UTC(year, 2, lastSundayOf(year, 3), 1);
  const bstEnds = Date.UTC(year, 9, lastSundayOf(year, 10), 1);
  return ms >= bstStarts && ms < bstEnds ? 60 : 0;
}

/** The UK wall-clock hour (0–23) at an instant. */
export function ukLocalHour(iso: string): number {
  const ms = instantOrThrow(iso, 'instant');
  return new Date(ms + ukOffsetAt(ms) * 60_000).getUTCHours();
}

function checkWindow(window: DailyWindow): void {
  const ok = (h: number): boolean => Number.isInteger(h) && h >= 0 && h <= 24;
  if (!ok(window.startHour) || !ok(window.endHour)) {
    throw new Error(`A daily window needs whole hours 0–24, got ${window.startHour}–${window.endHour}`);
  }
  if (window.timeZone !== 'Europe/London') throw new Error(`Only Europe/London windows are supported, got ${String(window.timeZone)}`);
}

/** The UK hours (0–23) a window covers, e.g. 22–06 → [22, 23, 0, 1, 2, 3, 4, 5]. */
export function windowHours(window: DailyWindow): number[] {
  checkWindow(window);
  const start = window.startHour % 24;
  const end = window.endHour % 24;
  const length = end > start ? end - start : end === start ? 24 : 24 - start + end;
  return Array.from({ length }, (_, i) => (start + i) % 24);
}

/** Whether an instant falls inside the window, in UK local time (handles midnight-crossing windows and BST/GMT). */
export function isWithinWindow(window: DailyWindow, nowIso: string): boolean {
  return windowHours(window).includes(ukLocalHour(nowIso));
}

/** The earliest instant at or after `now` when the window is open: `now` itself if already inside, else the next opening. */
export function nextWindowStart(window: DailyWindow, nowIso: string): string {
  const nowMs = instantOrThrow(nowIso, 'now');
  if (isWithinWindow(window, nowIso)) return toIso(nowMs);
  // UK offsets are whole hours, so a window can only open on a UTC hour boundary.
  let t = Math.floor(nowMs / HOUR_MS) * HOUR_MS + HOUR_MS;
  for (let i = 0; i < 50; i += 1, t += HOUR_MS) {
    if (isWithinWindow(window, toIso(t))) return toIso(t);
  }
  throw new Error(`Window ${window.startHour}–${window.endHour} never opens`); // unreachable: every window covers ≥ 1 hour
}

/** Milliseconds to wait before the window is open (0 if it is open now), for a workflow timer. */
export function millisecondsUntilWindow(window: DailyWindow, nowIso: string): number {
  return instantOrThrow(nextWindowStart(window, nowIso), 'start') - instantOrThrow(nowIso, 'now');
}

/** Whether two daily UK windows share any hour (e.g. the feed window and peak trading hours). */
export function overlaps(a: DailyWindow, b: DailyWindow): boolean {
  const hoursOfB = windowHours(b);
  return windowHours(a).some((h) => hoursOfB.includes(h));
}

/** "22:00–06:00 UK" for messages. */
export function describeWindow(window: DailyWindow): string {
  const hh = (h: number): string => `${String(h % 24).padStart(2, '0')}:00`;
  return window.startHour % 24 === window.endHour % 24 ? 'all day (UK)' : `${hh(window.startHour)}–${hh(window.endHour)} UK`;
}
