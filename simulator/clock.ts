import { performance } from 'node:perf_hooks';

/**
 * Simulated clock: now = anchor + real elapsed × timeScale. Changing the scale or jumping
 * re-anchors, so simulated time never runs backwards.
 */
export class SimClock {
  private anchorSimMs: number;
  private anchorRealMs: number;
  private scale: number;

  constructor(startSimMs: number, timeScale: number) {
    this.anchorSimMs = startSimMs;
    this.anchorRealMs = performance.now();
    this.scale = timeScale;
  }

  get timeScale(): number {
    return this.scale;
  }

  now(): number {
    return Math.floor(this.anchorSimMs + (performance.now() - this.anchorRealMs) * this.scale);
  }

  setTimeScale(timeScale: number): void {
    this.reanchor();
    this.scale = timeScale;
  }

  /** Jump simulated time forward (never backwards). */
  advance(ms: number): void {
    this.reanchor();
    this.anchorSimMs += Math.max(0, ms);
  }

  /** Real milliseconds until the simulated instant `simMs` (0 if already past). */
  realMsUntil(simMs: number): number {
    return Math.max(0, (simMs - this.now()) / this.scale);
  }

  private reanchor(): void {
    const simNow = this.now();
    this.anchorRealMs = performance.now();
    this.anchorSimMs = simNow;
  }
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** ISO 8601 date-time with a zone, e.g. 2026-01-01T00:00:00Z or 2026-01-01T00:00:00.000+01:00. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** Parses an ISO 8601 date-time; returns undefined for anything else (no Date.parse leniency). */
export function parseIsoDateTime(value: string): number | undefined {
  if (!ISO_DATE_TIME.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
