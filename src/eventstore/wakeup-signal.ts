/**
 * A counter of "the log may have grown" signals that waiters can sleep on.
 * A waiter reads `generation` before it checks the log and then sleeps with
 * that value, so a signal that arrives during the check is not lost.
 */
export class WakeupSignal {
  private current = 0;
  private readonly sleepers = new Set<() => void>();

  get generation(): number {
    return this.current;
  }

  /** Wakes every sleeper. */
  notify(): void {
    this.current += 1;
    for (const wake of this.sleepers) wake();
    this.sleepers.clear();
  }

  /**
   * Resolves when a signal newer than `seenGeneration` arrives, after
   * `timeoutMs`, or when `signal` aborts, whichever comes first.
   */
  sleep(seenGeneration: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.current !== seenGeneration || timeoutMs <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done, { once: true });
      this.sleepers.add(done);
    });
  }
}
