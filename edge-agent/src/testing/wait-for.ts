/**
 * Polls `probe` until it returns something truthy and resolves with it;
 * rejects after `timeoutMs` naming what was awaited. Tests wait on the event
 * they expect, with a bound, instead of sleeping.
 */
export async function waitFor<T>(probe: () => T | undefined | null | false, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
