/**
 * Amazon's (the simulator's) clock for processes that do not hold the simulator in memory:
 * reads `/_sim/clock` once, extrapolates with the time scale, and re-reads every few seconds so a
 * changed time scale or a jump forward is followed. Conduit's activities compare their clock with
 * Amazon's timestamps (download windows, ship dates), so a worker next to a fast simulator must
 * use this instead of the wall clock. Bench and chaos harness only; production uses real time.
 */
export interface SimulatedClock {
  now(): Date;
  /** Simulated ms for a real epoch-ms instant (for latencies measured from real timestamps). */
  toSim(realMs: number): number;
  stop(): void;
}

interface Reading {
  nowMs: number;
  timeScale: number;
  realAt: number;
}

async function read(url: string): Promise<Reading> {
  const before = Date.now();
  const res = await fetch(`${url.replace(/\/+$/, '')}/_sim/clock`);
  if (!res.ok) throw new Error(`simulator clock: HTTP ${res.status}`);
  const body = (await res.json()) as { nowMs: number; timeScale: number };
  return { nowMs: body.nowMs, timeScale: body.timeScale, realAt: (before + Date.now()) / 2 };
}

/** Starts following the simulator's clock at `url`. */
export async function followSimulatorClock(url: string, refreshMs = 2000): Promise<SimulatedClock> {
  let reading = await read(url);
  const timer = setInterval(() => {
    read(url).then(
      (r) => (reading = r),
      () => {
        /* simulator briefly busy: keep extrapolating */
      },
    );
  }, refreshMs);
  timer.unref();
  const toSim = (realMs: number) => reading.nowMs + (realMs - reading.realAt) * reading.timeScale;
  return { now: () => new Date(toSim(Date.now())), toSim, stop: () => clearInterval(timer) };
}
