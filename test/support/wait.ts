/**
 * Polling helpers for tests that watch a real system settle (workflows, Postgres, the simulator).
 * A timeout names what was awaited and the last thing seen, so a failure says why.
 */
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns something truthy and returns that; a probe that throws is retried. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 60_000, everyMs = 150): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const value = await probe().catch((err: unknown) => {
      lastError = err;
      return undefined;
    });
    if (value) return value;
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(everyMs);
  }
}

/** Reads until `ok(value)` holds and returns the value; a read that throws is retried. On timeout the error shows the last value (or error). */
export async function waitForValue<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: { value: T } | { error: unknown } | undefined;
  for (;;) {
    try {
      last = { value: await read() };
      if (ok(last.value)) return last.value;
    } catch (error) {
      last = { error };
    }
    if (Date.now() > deadline) {
      const seen = 'value' in last ? `still ${JSON.stringify(last.value)}` : `still failing (${last.error instanceof Error ? last.error.message : String(last.error)})`;
      throw new Error(`${what}: ${seen} after ${timeoutMs} ms`);
    }
    await sleep(everyMs);
  }
}
