/**
 * Waits `ms` milliseconds, or less when `signal` aborts: the promise then
 * resolves early instead of rejecting, so that a stopping worker's loop ends
 * its wait and checks the signal itself.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
