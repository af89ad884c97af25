import type { SqlDatabase } from '../infrastructure/database';
import { componentLogger, errorFields } from '../infrastructure/logger';
import { recordAppend, trackVisibilityWait, type AppendOutcome, type VisibilityWaitSource } from './metrics';
import {
  EventTooLargeError,
  EventStoreUnavailableError,
  WrongExpectedRevisionError,
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type NewEvent,
  type Position,
  type RecordedEvent,
} from './port';
import { insertBatch, resolveRejectedAppend } from './sql-append';
import { readGlobalLog, readHeadPosition, readHeldBackState, readLogState } from './sql-global-log';
import { isDuplicateEventId, isRevisionTaken, toStoreError } from './sql-errors';
import { EVENTS_NOTIFY_CHANNEL, EXPECTED_ANY, EXPECTED_STREAM_EXISTS } from './sql-migrations';
import { EVENT_COLUMNS, encodeExpected, serializeBatch, toRecordedEvent, type AppendBatch, type EventRow } from './sql-rows';
import { WakeupSignal } from './wakeup-signal';

const log = componentLogger('eventstore');

export interface SqlEventStoreOptions {
  /** Delay in ms that groups the NOTIFYs sent to other instances after appends (default 10). */
  notifyDelayMs?: number;
  /** Interval in ms at which `waitForEvents` re-checks the log when no signal arrives (default 2000). */
  fallbackCheckMs?: number;
  /** Longest interval in ms between re-checks while an open transaction holds committed events back (default 250). */
  maxHeldBackCheckMs?: number;
}

// An 'any' or 'stream_exists' append that keeps losing races for the next revision gives up after this many attempts.
const MAX_APPEND_ATTEMPTS = 8;

/** Thrown inside an append's transaction when the stream was not in the expected state, to roll it back. */
class NothingInserted extends Error {}

interface AppendAttempt {
  outcome: 'appended' | 'duplicate';
  result: AppendResult;
}

/**
 * The event store on PostgreSQL or PGlite: the same SQL on both. Appends take
 * one round trip (`append_events`); the global log is ordered by
 * (transaction id, sequence) and read below the snapshot's xmin, so readers
 * never skip a late commit and never wait on a rolled-back append.
 */
export class SqlEventStore implements EventStore, VisibilityWaitSource {
  readonly description: string;
  private readonly wakeups = new WakeupSignal();
  private readonly notifyDelayMs: number;
  private readonly fallbackCheckMs: number;
  private readonly maxHeldBackCheckMs: number;
  private readonly untrackMetrics: () => void;
  private notifyTimer: NodeJS.Timeout | undefined;
  private listening: Promise<(() => Promise<void>) | undefined> | undefined;
  private heldBackSince: { barrier: string; since: number } | undefined;
  private closed = false;

  constructor(
    private readonly db: SqlDatabase,
    options: SqlEventStoreOptions = {},
  ) {
    this.description = `SQL event store on ${db.description}`;
    this.notifyDelayMs = options.notifyDelayMs ?? 10;
    this.fallbackCheckMs = options.fallbackCheckMs ?? 2_000;
    this.maxHeldBackCheckMs = options.maxHeldBackCheckMs ?? 250;
    this.untrackMetrics = trackVisibilityWait(this);
  }

  async append(streamId: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    const startedAt = process.hrtime.bigint();
    let outcome: AppendOutcome = 'error';
    try {
      const batch = serializeBatch(streamId, events);
      const expected = encodeExpected(options.expectedRevision);
      const attempt = await this.appendWithRetries(streamId, batch, expected, options);
      outcome = attempt.outcome;
      if (attempt.outcome === 'appended') this.signalAppended();
      return attempt.result;
    } catch (error) {
      outcome = appendFailureOutcome(error);
      throw toStoreError(error, 'append');
    } finally {
      recordAppend(outcome, startedAt);
    }
  }

  async readStream(streamId: string, options: { fromRevision?: number; maxCount?: number } = {}): Promise<RecordedEvent[]> {
    const rows = await this.run('readStream', () =>
      this.db.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND revision >= $2 ORDER BY revision LIMIT $3`,
        [streamId, options.fromRevision ?? 0, options.maxCount ?? null],
        { name: 'eventstore_read_stream' },
      ),
    );
    return rows.rows.map(toRecordedEvent);
  }

  async readStreamTail(streamId: string, count: number): Promise<RecordedEvent[]> {
    const rows = await this.run('readStreamTail', () =>
      this.db.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = $1 ORDER BY revision DESC LIMIT $2`,
        [streamId, count],
        { name: 'eventstore_read_stream_tail' },
      ),
    );
    return rows.rows.map(toRecordedEvent).reverse();
  }

  async readAll(after: Position | null, limit: number): Promise<RecordedEvent[]> {
    return this.run('readAll', () => readGlobalLog(this.db, after, limit));
  }

  async headPosition(): Promise<Position | null> {
    return this.run('headPosition', () => readHeadPosition(this.db));
  }

  async waitForEvents(after: Position | null, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    this.startListening();
    let heldBackDelayMs = 5;
    while (!this.closed && !signal?.aborted && Date.now() < deadline) {
      const generation = this.wakeups.generation;
      let state: { readable: boolean; heldBack: boolean };
      try {
        state = await readLogState(this.db, after);
      } catch (error) {
        // Let the caller's next read report the failure instead of waiting out the whole timeout here.
        log.warn('event store check failed while waiting for events', errorFields(error));
        await this.wakeups.sleep(generation, Math.min(1_000, deadline - Date.now()), signal);
        return;
      }
      if (state.readable) return;

      // Committed events wait behind an open transaction that may end without
      // any append signalling it, so re-check with a growing delay.
      const delayMs = state.heldBack ? heldBackDelayMs : this.fallbackCheckMs;
      heldBackDelayMs = state.heldBack ? Math.min(heldBackDelayMs * 2, this.maxHeldBackCheckMs) : 5;
      await this.wakeups.sleep(generation, Math.min(delayMs, deadline - Date.now()), signal);
    }
  }

  async ping(): Promise<void> {
    await this.run('ping', () => this.db.query('SELECT 1'));
  }

  /** Stops listening and wakes every waiter; the database stays open, because its owner closes it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.notifyTimer);
    this.untrackMetrics();
    this.wakeups.notify();
    const stop = await this.listening?.catch(() => undefined);
    await stop?.().catch(() => undefined);
  }

  /** Seconds the oldest open transaction has been holding committed events back from readers, or 0. */
  async pendingTransactionAgeSeconds(): Promise<number> {
    const state = await readHeldBackState(this.db);
    if (!state.heldBack) {
      this.heldBackSince = undefined;
      return 0;
    }
    if (state.ageSeconds !== null) return Math.max(0, state.ageSeconds);
    // The blocking backend is not visible (a prepared transaction, or no permission): count from when this store first saw it.
    if (this.heldBackSince?.barrier !== state.barrier) this.heldBackSince = { barrier: state.barrier, since: Date.now() };
    return (Date.now() - this.heldBackSince.since) / 1_000;
  }

  /**
   * Runs the append, in a transaction with `withinTransaction` when given.
   * A batch the statement rejects is explained afterwards (duplicate or
   * conflict). Two appends that race for the same revision meet at the
   * primary key: the later one waits for the first to end and then fails, and
   * is retried when its expected state ('any', 'stream_exists') allows it.
   */
  private async appendWithRetries(
    streamId: string,
    batch: AppendBatch,
    expected: number,
    options: AppendOptions,
  ): Promise<AppendAttempt> {
    const mayRetryRace = expected === EXPECTED_ANY || expected === EXPECTED_STREAM_EXISTS;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const result = await this.insertOnce(streamId, batch, expected, options);
        if (result) return { outcome: 'appended', result };
      } catch (error) {
        const lostRace = isRevisionTaken(error);
        if (!lostRace && !isDuplicateEventId(error)) throw error;
        if (lostRace && mayRetryRace && attempt < MAX_APPEND_ATTEMPTS) {
          log.debug('append retried after a concurrent append', { streamId, attempt });
          await delay(Math.random() * 5 * attempt);
          continue;
        }
      }
      const result = await resolveRejectedAppend(this.db, streamId, batch, expected, options.expectedRevision);
      return { outcome: 'duplicate', result };
    }
  }

  /** One attempt; resolves to undefined when the stream was not in the expected state and nothing was written. */
  private async insertOnce(
    streamId: string,
    batch: AppendBatch,
    expected: number,
    options: AppendOptions,
  ): Promise<AppendResult | undefined> {
    const withinTransaction = options.withinTransaction;
    if (!withinTransaction) return insertBatch(this.db, streamId, batch, expected);

    try {
      return await this.db.transaction(async (tx) => {
        const result = await insertBatch(tx, streamId, batch, expected);
        if (!result) throw new NothingInserted();
        await withinTransaction(tx, result);
        return result;
      });
    } catch (error) {
      if (error instanceof NothingInserted) return undefined;
      throw error;
    }
  }

  /** Wakes this process's waiters now and, a moment later, other instances through NOTIFY. */
  private signalAppended(): void {
    this.wakeups.notify();
    if (this.db.kind !== 'postgres' || this.notifyTimer || this.closed) return;
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = undefined;
      this.db.query('SELECT pg_notify($1, $2)', [EVENTS_NOTIFY_CHANNEL, '']).catch((error: unknown) => {
        log.warn('could not notify other instances of new events', errorFields(error));
      });
    }, this.notifyDelayMs);
    this.notifyTimer.unref();
  }

  /** Subscribes once to other instances' NOTIFYs; PGlite has no other instances. */
  private startListening(): void {
    if (this.listening || this.db.kind !== 'postgres') return;
    this.listening = this.db.listen(EVENTS_NOTIFY_CHANNEL, () => this.wakeups.notify()).catch((error: unknown) => {
      log.warn('could not listen for other instances\' events; waiting relies on re-checks', errorFields(error));
      this.listening = undefined;
      return undefined;
    });
  }

  private async run<T>(operation: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw toStoreError(error, operation);
    }
  }
}

export function createSqlEventStore(db: SqlDatabase, options?: SqlEventStoreOptions): SqlEventStore {
  return new SqlEventStore(db, options);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function appendFailureOutcome(error: unknown): AppendOutcome {
  if (error instanceof WrongExpectedRevisionError) return 'conflict';
  if (error instanceof EventTooLargeError) return 'too_large';
  if (toStoreError(error, 'append') instanceof EventStoreUnavailableError) return 'unavailable';
  return 'error';
}
