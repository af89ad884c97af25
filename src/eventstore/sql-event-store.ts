import type { SqlDatabase, SqlExecutor } from '../infrastructure/database';
import { componentLogger, errorFields } from '../infrastructure/logger';
import { recordAppend, trackVisibilityWait, type AppendOutcome, type VisibilityWaitSource } from './metrics';
import {
  EventTooLargeError,
  EventStoreUnavailableError,
  WrongExpectedRevisionError,
  decodePosition,
  encodePosition,
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type NewEvent,
  type Position,
  type RecordedEvent,
} from './port';
import { isDuplicateEventId, isSerializationFailure, toStoreError } from './sql-errors';
import { EVENTS_NOTIFY_CHANNEL } from './sql-migrations';
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

// An append retried this many times in a row on a transient race gives up with the last error.
const MAX_APPEND_ATTEMPTS = 5;

// Global-log queries read only below the xmin of their snapshot: every
// transaction with a lower id has ended, so no event can still appear there.
const VISIBLE = 'transaction_id < (SELECT pg_snapshot_xmin(pg_current_snapshot()))';

interface AppendRow {
  outcome: 'appended' | 'duplicate' | 'conflict';
  stream_revision: string | number;
  last_transaction_id: string | null;
  last_seq: string | number | null;
}

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
  private heldBackSince: { xmin: string; since: number } | undefined;
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
      ),
    );
    return rows.rows.map(toRecordedEvent);
  }

  async readStreamTail(streamId: string, count: number): Promise<RecordedEvent[]> {
    const rows = await this.run('readStreamTail', () =>
      this.db.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = $1 ORDER BY revision DESC LIMIT $2`,
        [streamId, count],
      ),
    );
    return rows.rows.map(toRecordedEvent).reverse();
  }

  async readAll(after: Position | null, limit: number): Promise<RecordedEvent[]> {
    const [afterXid, afterSeq] = positionParams(after);
    const rows = await this.run('readAll', () =>
      this.db.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events
          WHERE (transaction_id, seq) > ($1::xid8, $2::bigint) AND ${VISIBLE}
          ORDER BY transaction_id, seq LIMIT $3`,
        [afterXid, afterSeq, limit],
      ),
    );
    return rows.rows.map(toRecordedEvent);
  }

  async headPosition(): Promise<Position | null> {
    const rows = await this.run('headPosition', () =>
      this.db.query<{ transaction_id: string; seq: string | number }>(
        `SELECT transaction_id::text AS transaction_id, seq FROM events WHERE ${VISIBLE}
          ORDER BY transaction_id DESC, seq DESC LIMIT 1`,
      ),
    );
    const head = rows.rows[0];
    return head ? encodePosition(BigInt(head.transaction_id), BigInt(head.seq)) : null;
  }

  async waitForEvents(after: Position | null, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    this.startListening();
    let heldBackDelayMs = 5;
    while (!this.closed && !signal?.aborted && Date.now() < deadline) {
      const generation = this.wakeups.generation;
      let state: { readable: boolean; heldBack: boolean };
      try {
        state = await this.logStateAfter(after);
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
    const rows = await this.db.query<{ xmin: string; held_back: boolean; age_seconds: number | null }>(
      `WITH barrier AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
       SELECT b.xmin::text AS xmin,
              EXISTS (SELECT 1 FROM events e WHERE e.transaction_id >= b.xmin) AS held_back,
              (SELECT extract(epoch FROM clock_timestamp() - min(a.xact_start))::float8
                 FROM pg_stat_activity a
                WHERE a.backend_xid = (b.xmin::text::numeric % 4294967296)::text::xid) AS age_seconds
         FROM barrier b`,
    );
    const row = rows.rows[0];
    if (!row?.held_back) {
      this.heldBackSince = undefined;
      return 0;
    }
    if (row.age_seconds !== null) return Math.max(0, Number(row.age_seconds));
    // The blocking backend is not visible (a prepared transaction, or no permission): count from when this store first saw it.
    if (this.heldBackSince?.xmin !== row.xmin) this.heldBackSince = { xmin: row.xmin, since: Date.now() };
    return (Date.now() - this.heldBackSince.since) / 1_000;
  }

  private async appendWithRetries(
    streamId: string,
    batch: AppendBatch,
    expected: number,
    options: AppendOptions,
  ): Promise<AppendAttempt> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.appendOnce(streamId, batch, expected, options);
      } catch (error) {
        const transient = isSerializationFailure(error) || isDuplicateEventId(error);
        if (!transient || attempt >= MAX_APPEND_ATTEMPTS) throw error;
        log.debug('append retried after a concurrent append', { streamId, attempt, ...errorFields(error) });
      }
    }
  }

  private async appendOnce(
    streamId: string,
    batch: AppendBatch,
    expected: number,
    options: AppendOptions,
  ): Promise<AppendAttempt> {
    const withinTransaction = options.withinTransaction;
    if (!withinTransaction) return this.callAppendEvents(this.db, streamId, batch, expected, options);

    return this.db.transaction(async (tx) => {
      const attempt = await this.callAppendEvents(tx, streamId, batch, expected, options);
      // A duplicate's writes committed with the original append.
      if (attempt.outcome === 'appended') await withinTransaction(tx, attempt.result);
      return attempt;
    });
  }

  private async callAppendEvents(
    executor: SqlExecutor,
    streamId: string,
    batch: AppendBatch,
    expected: number,
    options: AppendOptions,
  ): Promise<AppendAttempt> {
    const result = await executor.query<AppendRow>(
      `SELECT outcome, stream_revision, last_transaction_id::text AS last_transaction_id, last_seq
         FROM append_events($1, $2, $3::uuid[], $4::text[], $5::json[], $6::json[])`,
      [streamId, expected, batch.ids, batch.types, batch.data, batch.metadata],
    );
    const row = result.rows[0];
    if (!row) throw new Error(`append_events returned no row for stream ${streamId}`);
    const revision = Number(row.stream_revision);
    if (row.outcome === 'conflict') {
      throw new WrongExpectedRevisionError(streamId, options.expectedRevision, revision < 0 ? 'no_stream' : revision);
    }
    return {
      outcome: row.outcome,
      result: { nextRevision: revision, position: encodePosition(BigInt(row.last_transaction_id!), BigInt(row.last_seq!)) },
    };
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

  private async logStateAfter(after: Position | null): Promise<{ readable: boolean; heldBack: boolean }> {
    const [afterXid, afterSeq] = positionParams(after);
    const rows = await this.db.query<{ readable: boolean; held_back: boolean }>(
      `WITH barrier AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
       SELECT EXISTS (SELECT 1 FROM events e WHERE (e.transaction_id, e.seq) > ($1::xid8, $2::bigint)
                        AND e.transaction_id < (SELECT xmin FROM barrier)) AS readable,
              EXISTS (SELECT 1 FROM events e WHERE (e.transaction_id, e.seq) > ($1::xid8, $2::bigint)
                        AND e.transaction_id >= (SELECT xmin FROM barrier)) AS held_back`,
      [afterXid, afterSeq],
    );
    const row = rows.rows[0];
    return { readable: row?.readable === true, heldBack: row?.held_back === true };
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

/** (transaction id, sequence) of a position as query parameters; null means before the first event. */
function positionParams(after: Position | null): [string, string] {
  if (after === null) return ['0', '0'];
  const { high, low } = decodePosition(after);
  return [high.toString(), low.toString()];
}

function appendFailureOutcome(error: unknown): AppendOutcome {
  if (error instanceof WrongExpectedRevisionError) return 'conflict';
  if (error instanceof EventTooLargeError) return 'too_large';
  if (toStoreError(error, 'append') instanceof EventStoreUnavailableError) return 'unavailable';
  return 'error';
}
