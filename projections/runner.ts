import type { EventStore, Position, RecordedEvent } from '../src/eventstore/port';
import { quoteIdentifier, type SqlDatabase, type SqlExecutor } from '../src/infrastructure/database';
import { componentLogger, errorFields } from '../src/infrastructure/logger';
import {
  ensureCheckpoint,
  lockCheckpoint,
  readCheckpoint,
  writeCheckpoint,
} from './checkpoints';
import { projectionMetrics } from './metrics';
import { ProjectionEventError, type ChangedOrder, type Projection } from './projection';
import { sleep } from '../src/infrastructure/sleep';

const log = componentLogger('projections');

// Both advisory lock keys are int4: a constant namespace for OrderSvc projections and hashtext(name).
const LOCK_NAMESPACE = 730_211_402;

export interface RunnerOptions {
  /** Events read from the log and applied per transaction. */
  batchSize?: number;
  /** Maximum wait for new events before the runner checks its lock session again. */
  idleWaitMs?: number;
  /** First and maximum delay between retries of a failing event. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How often a standby instance tries to take over the projection lock. */
  standbyRetryMs?: number;
  /**
   * Called inside the batch transaction, after the writes and before the
   * commit, with the orders the batch changed (cache invalidation). It must
   * not throw for a failure that should not stop the projection.
   */
  beforeCommit?: (tx: SqlExecutor, projection: string, changed: ChangedOrder[]) => Promise<void>;
}

/** Current state of a runner, for health checks and tests. */
export interface RunnerStatus {
  state: 'stopped' | 'standby' | 'running' | 'failing';
  position: Position | null;
  failure?: { eventId: string; type: string; position: Position; error: string; attempts: number; since: string };
}

/** The checkpoint moved under this runner: another writer committed. Reload and continue. */
class CheckpointMovedError extends Error {
  constructor(projection: string, expected: Position | null, actual: Position | null) {
    super(`Checkpoint of ${projection} is at ${String(actual)}, expected ${String(expected)}`);
    this.name = 'CheckpointMovedError';
  }
}

/** A failing event the runner stops at until it applies. */
class StoppedAtEventError extends Error {
  constructor(
    readonly event: RecordedEvent,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'StoppedAtEventError';
  }
}

/**
 * Applies the batch in one transaction together with the checkpoint:
 * lock the checkpoint row, check that no other writer moved it, apply, move it, notify.
 * With `schema`, the transaction resolves unqualified table names in that
 * schema only (rebuilds); otherwise in the connection's search path.
 */
export async function commitBatch(
  db: SqlDatabase,
  projection: Projection,
  expected: Position | null,
  events: readonly RecordedEvent[],
  options: { schema?: string; beforeCommit?: RunnerOptions['beforeCommit'] } = {},
): Promise<{ position: Position; changed: ChangedOrder[] }> {
  const last = events[events.length - 1];
  const changed = await db.transaction(async (tx) => {
    if (options.schema) await tx.query(`SET LOCAL search_path TO ${quoteIdentifier(options.schema)}`);
    const checkpoint = await lockCheckpoint(tx, projection.name);
    if (checkpoint.position !== expected) throw new CheckpointMovedError(projection.name, expected, checkpoint.position);
    const result = await projection.applyBatch(tx, events);
    if (options.beforeCommit && result.length > 0) await options.beforeCommit(tx, projection.name, result);
    await writeCheckpoint(tx, projection.name, last.position, last.recordedAt, events.length, true);
    return result;
  });
  return { position: last.position, changed };
}

/**
 * Runs one projection: holds its advisory lock on a dedicated session, feeds
 * it batches of the global log after its checkpoint, and waits for new events
 * with `waitForEvents`. Only one runner per projection across all instances
 * writes at a time; a standby takes over when the holder's session ends.
 */
export class ProjectionRunner {
  private readonly options: Required<Omit<RunnerOptions, 'beforeCommit'>> & Pick<RunnerOptions, 'beforeCommit'>;
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private current: RunnerStatus = { state: 'stopped', position: null };
  private failureAttempts = 0;
  private positionLabel: string | undefined;

  constructor(
    private readonly db: SqlDatabase,
    private readonly store: EventStore,
    readonly projection: Projection,
    options: RunnerOptions = {},
  ) {
    this.options = {
      batchSize: options.batchSize ?? 1000,
      idleWaitMs: options.idleWaitMs ?? 5_000,
      retryBaseMs: options.retryBaseMs ?? 1_000,
      retryMaxMs: options.retryMaxMs ?? 60_000,
      standbyRetryMs: options.standbyRetryMs ?? 5_000,
      beforeCommit: options.beforeCommit,
    };
  }

  get name(): string {
    return this.projection.name;
  }

  status(): RunnerStatus {
    return { ...this.current };
  }

  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    this.current = { state: 'standby', position: null };
    this.loop = this.leadershipLoop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    this.loop = undefined;
    this.current = { ...this.current, state: 'stopped' };
    projectionMetrics.leader.set({ projection: this.name }, 0);
  }

  /** Tries to take the projection lock; while held, processes the log until stopped or the session breaks. */
  private async leadershipLoop(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        await this.db.withSession(async (session) => {
          if (!(await this.tryLock(session))) return;
          log.info('projection lock acquired', { projection: this.name });
          projectionMetrics.leader.set({ projection: this.name }, 1);
          try {
            await this.processUntilStopped(session, signal);
          } finally {
            projectionMetrics.leader.set({ projection: this.name }, 0);
            await session
              .query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_NAMESPACE, this.name])
              .catch(() => undefined);
            log.info('projection lock released', { projection: this.name });
          }
        });
      } catch (error) {
        if (!signal.aborted) log.error('projection runner interrupted', { projection: this.name, ...errorFields(error) });
      }
      if (signal.aborted) break;
      this.current = { ...this.current, state: 'standby' };
      await sleep(this.options.standbyRetryMs * (0.75 + Math.random() / 2), signal);
    }
  }

  private async tryLock(session: SqlExecutor): Promise<boolean> {
    const result = await session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [
      LOCK_NAMESPACE,
      this.name,
    ]);
    return result.rows[0]?.locked === true;
  }

  private async processUntilStopped(session: SqlExecutor, signal: AbortSignal): Promise<void> {
    await ensureCheckpoint(this.db, this.name);
    let position = (await readCheckpoint(this.db, this.name)).position;
    this.current = { state: 'running', position };
    this.publishPosition(position);

    while (!signal.aborted) {
      const events = await this.store.readAll(position, this.options.batchSize);
      if (events.length === 0) {
        // The idle wait doubles as a liveness check of the session that holds the lock.
        await this.store.waitForEvents(position, this.options.idleWaitMs, signal);
        if (!signal.aborted) await session.query('SELECT 1');
        continue;
      }
      try {
        position = await this.applyWithIsolation(session, position, events);
        this.clearFailure(position);
      } catch (error) {
        if (error instanceof CheckpointMovedError) {
          log.warn('projection checkpoint moved by another writer; reloading', { projection: this.name });
          position = (await readCheckpoint(this.db, this.name)).position;
          continue;
        }
        if (!(error instanceof StoppedAtEventError)) throw error;
        position = (await readCheckpoint(this.db, this.name)).position;
        await this.recordFailure(error, position, signal);
      }
    }
  }

  /**
   * Commits the batch; if it fails, commits the events before the failing one
   * and throws StoppedAtEventError for it, so the checkpoint stops exactly
   * there. When the handler does not say which event failed, the batch is
   * retried one event per transaction to find it.
   */
  private async applyWithIsolation(session: SqlExecutor, position: Position | null, events: readonly RecordedEvent[]): Promise<Position> {
    try {
      return await this.commit(position, events);
    } catch (error) {
      if (error instanceof CheckpointMovedError) throw error;
      // A failure may mean this instance lost its connection, and with it the lock:
      // stop writing (the session query throws) rather than race a new holder.
      await session.query('SELECT 1');
      if (error instanceof ProjectionEventError) {
        const index = events.findIndex((event) => event.id === error.event.id);
        let at = position;
        if (index > 0) at = await this.commit(position, events.slice(0, index));
        this.current = { ...this.current, position: at };
        throw new StoppedAtEventError(error.event, error.cause);
      }
      if (events.length === 1) throw new StoppedAtEventError(events[0], error);
      let at = position;
      for (const event of events) {
        try {
          at = await this.commit(at, [event]);
        } catch (single) {
          if (single instanceof CheckpointMovedError) throw single;
          throw new StoppedAtEventError(event, single instanceof ProjectionEventError ? single.cause : single);
        }
      }
      // The batch is not empty, so the loop committed at least once.
      return at as Position;
    }
  }

  private async commit(position: Position | null, events: readonly RecordedEvent[]): Promise<Position> {
    const timer = projectionMetrics.batchSeconds.startTimer({ projection: this.name });
    const result = await commitBatch(this.db, this.projection, position, events, { beforeCommit: this.options.beforeCommit });
    timer();
    projectionMetrics.eventsApplied.inc({ projection: this.name }, events.length);
    this.publishPosition(result.position);
    return result.position;
  }

  private publishPosition(position: Position | null): void {
    this.current = { ...this.current, position };
    const label = position ?? 'none';
    if (this.positionLabel !== undefined && this.positionLabel !== label) {
      projectionMetrics.position.remove({ projection: this.name, position: this.positionLabel });
    }
    this.positionLabel = label;
    projectionMetrics.position.set({ projection: this.name, position: label }, 1);
  }

  private async recordFailure(error: StoppedAtEventError, position: Position | null, signal: AbortSignal): Promise<void> {
    this.failureAttempts += 1;
    const { event } = error;
    const since = this.current.failure?.since ?? new Date().toISOString();
    this.current = {
      state: 'failing',
      position,
      failure: { eventId: event.id, type: event.type, position: event.position, error: error.message, attempts: this.failureAttempts, since },
    };
    projectionMetrics.failures.inc({ projection: this.name });
    projectionMetrics.failing.set({ projection: this.name }, 1);
    const delay = Math.min(this.options.retryBaseMs * 2 ** (this.failureAttempts - 1), this.options.retryMaxMs);
    log.error('projection stopped at failing event', {
      projection: this.name,
      eventId: event.id,
      eventType: event.type,
      streamId: event.streamId,
      position: event.position,
      attempt: this.failureAttempts,
      retryInMs: delay,
      ...errorFields(error.cause),
    });
    await sleep(delay, signal);
  }

  private clearFailure(position: Position): void {
    if (this.current.state === 'failing') {
      log.info('projection resumed after failure', { projection: this.name, attempts: this.failureAttempts, position });
    }
    this.failureAttempts = 0;
    this.current = { state: 'running', position };
    projectionMetrics.failing.set({ projection: this.name }, 0);
  }
}
