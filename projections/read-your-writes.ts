import type { Position } from '../src/eventstore/port';
import type { SqlDatabase } from '../src/infrastructure/database';
import { componentLogger, errorFields } from '../src/infrastructure/logger';
import { CHECKPOINT_CHANNEL, checkpointsReached } from './checkpoints';

const log = componentLogger('projections');

// A waiter re-reads the checkpoints at least this often, in case a NOTIFY was
// lost while the LISTEN connection was being replaced.
const RECHECK_MS = 250;

/**
 * Waits until projections reach a log position, for read-your-writes. Runners
 * NOTIFY each committed checkpoint, so a waiter wakes as soon as any instance
 * commits, without polling the table in a tight loop.
 */
export class CheckpointWatcher {
  private readonly wakers = new Set<() => void>();
  private listening: Promise<void> | undefined;
  private unlisten: (() => Promise<void>) | undefined;

  constructor(private readonly db: SqlDatabase) {}

  /** Resolves true once every named projection has processed `position`, false when `timeoutMs` passes first. */
  async waitForPosition(position: Position, projections: readonly string[], timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    await this.ensureListening();
    for (;;) {
      const wake = this.nextWake();
      if (await checkpointsReached(this.db, projections, position)) {
        wake.cancel();
        return true;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        wake.cancel();
        return false;
      }
      await wake.wait(Math.min(remaining, RECHECK_MS));
    }
  }

  async close(): Promise<void> {
    for (const wake of this.wakers) wake();
    await this.unlisten?.().catch(() => undefined);
    this.unlisten = undefined;
    this.listening = undefined;
  }

  private ensureListening(): Promise<void> {
    this.listening ??= this.db
      .listen(CHECKPOINT_CHANNEL, () => {
        for (const wake of [...this.wakers]) wake();
      })
      .then((unlisten) => {
        this.unlisten = unlisten;
      })
      .catch((error: unknown) => {
        // Without notifications the waiters still re-read the checkpoints every RECHECK_MS.
        log.warn('could not listen for projection checkpoints', errorFields(error));
        this.listening = undefined;
      });
    return this.listening;
  }

  /** Registers for the next notification before the checkpoint read, so a commit in between is not missed. */
  private nextWake(): { wait: (ms: number) => Promise<void>; cancel: () => void } {
    let notified = false;
    let resolveWait: (() => void) | undefined;
    const waker = () => {
      notified = true;
      resolveWait?.();
    };
    this.wakers.add(waker);
    const cancel = () => {
      this.wakers.delete(waker);
    };
    const wait = (ms: number) =>
      new Promise<void>((resolve) => {
        if (notified) {
          cancel();
          return resolve();
        }
        const timer = setTimeout(finish, ms);
        resolveWait = finish;
        function finish() {
          clearTimeout(timer);
          cancel();
          resolve();
        }
      });
    return { wait, cancel };
  }
}
