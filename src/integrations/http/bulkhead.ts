/** The bulkhead's queue is full, or a queued call waited longer than allowed. */
export class BulkheadRejectedError extends Error {
  constructor(
    readonly reason: 'queue_full' | 'queue_timeout',
    message: string,
  ) {
    super(message);
    this.name = 'BulkheadRejectedError';
  }
}

interface Waiter {
  grant: () => void;
  reject: (error: Error) => void;
}

/**
 * Limits how many calls to one service run at once. Calls beyond
 * `maxConcurrent` wait in a FIFO queue of at most `maxQueue` entries. A call
 * that finds the queue full, or waits longer than `queueTimeoutMs`, is
 * rejected with BulkheadRejectedError, so a slow service cannot pile up
 * requests without bound.
 */
export class Bulkhead {
  private running = 0;
  private readonly queue: Waiter[] = [];

  constructor(
    readonly maxConcurrent: number,
    readonly maxQueue: number,
    private readonly queueTimeoutMs: number,
  ) {
    if (maxConcurrent < 1) throw new Error(`Bulkhead maxConcurrent must be at least 1, got ${maxConcurrent}`);
    if (maxQueue < 0) throw new Error(`Bulkhead maxQueue must be at least 0, got ${maxQueue}`);
  }

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.queue.length;
  }

  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (this.running < this.maxConcurrent) {
      this.running += 1;
      return Promise.resolve();
    }
    if (this.queue.length >= this.maxQueue) {
      return Promise.reject(new BulkheadRejectedError('queue_full', `${this.running} calls running and ${this.queue.length} queued`));
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          cleanUp();
          this.running += 1;
          resolve();
        },
        reject: (error) => {
          cleanUp();
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.remove(waiter);
        waiter.reject(new BulkheadRejectedError('queue_timeout', `waited ${this.queueTimeoutMs} ms for a free slot`));
      }, this.queueTimeoutMs);
      const onAbort = () => {
        this.remove(waiter);
        waiter.reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      const cleanUp = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  private release(): void {
    this.running -= 1;
    const next = this.queue.shift();
    next?.grant();
  }

  private remove(waiter: Waiter): void {
    const index = this.queue.indexOf(waiter);
    if (index >= 0) this.queue.splice(index, 1);
  }
}
