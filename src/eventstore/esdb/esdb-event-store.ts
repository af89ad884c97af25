import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  MaxAppendSizeExceededError,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type Position as EsdbPosition,
  type ReadPosition,
  type StreamingRead,
} from '@eventstore/db-client';
import type { SqlDatabase } from '../../infrastructure/database';
import { componentLogger, errorFields } from '../../infrastructure/logger';
import {
  EventStoreUnavailableError,
  EventTooLargeError,
  WrongExpectedRevisionError,
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type Position,
  type RecordedEvent,
} from '../port';
import {
  assertValidAppend,
  eventBytes,
  toEsdbEvent,
  toEsdbExpectedRevision,
  toEsdbPosition,
  toPortActualRevision,
  toPortEvent,
  toPortPosition,
} from './esdb-mapping';
import { recordAppend, type AppendOutcome } from '../metrics';
import { DEFAULT_RETRY_POLICY, withRetry, withTimeout, type RetryPolicy } from './esdb-retry';
import { sleep } from '../../infrastructure/sleep';

const log = componentLogger('esdb-event-store');

/** Stream prefix of the service's streams (`pedido-<orderId>`); `$all` is filtered on it. */
export const ORDER_STREAM_PREFIX = 'pedido-';

/** Events read per page when `headPosition` walks `$all` backwards to the newest order event. */
const HEAD_SCAN_PAGE = 200;

export interface EsdbEventStoreOptions {
  /** `esdb://host:port?tls=false` for one insecure node, `esdb+discover://…` for a cluster. */
  connectionString: string;
  /** PostgreSQL (or PGlite) where `withinTransaction` writes run: read models, checkpoints, idempotency keys, inbox. */
  db: SqlDatabase;
  /** Streams whose events form the global log; default `pedido-`. */
  streamPrefix?: string;
  /**
   * Prepended to every stream name in EventStoreDB and stripped on reading,
   * so that test runs sharing one EventStoreDB do not see each other's
   * events. Empty in production.
   */
  namespace?: string;
  retry?: Partial<RetryPolicy>;
  /** Maximum delay between reconnection attempts of `waitForEvents`, in ms (default 5000). */
  maxReconnectDelayMs?: number;
  /**
   * Whether an append first reads its stream to reject or recognise event ids
   * stored there already (default true). Costs one stream read per append
   * whose expected state is not `no_stream`; see `findRepeatedAppend`.
   */
  checkStoredIds?: boolean;
}

/**
 * The event store on EventStoreDB. Streams keep the names callers give. The
 * global log is `$all` filtered on the stream prefix by the server, and
 * EventStoreDB's (commit, prepare) positions are encoded as the port's tokens.
 */
export class EsdbEventStore implements EventStore {
  readonly description: string;
  private readonly client: EventStoreDBClient;
  private readonly db: SqlDatabase;
  private readonly namespace: string;
  private readonly logPrefix: string;
  private readonly policy: RetryPolicy;
  private readonly maxReconnectDelayMs: number;
  private readonly checkStoredIds: boolean;
  private readonly closing = new AbortController();

  constructor(options: EsdbEventStoreOptions) {
    this.client = EventStoreDBClient.connectionString(options.connectionString);
    this.db = options.db;
    this.namespace = options.namespace ?? '';
    this.logPrefix = `${this.namespace}${options.streamPrefix ?? ORDER_STREAM_PREFIX}`;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.maxReconnectDelayMs = options.maxReconnectDelayMs ?? 5_000;
    this.checkStoredIds = options.checkStoredIds ?? true;
    this.description = `EventStoreDB ${redactConnectionString(options.connectionString)}`;
  }

  async append(streamId: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    const startedAt = process.hrtime.bigint();
    try {
      const { result, duplicate } = await this.appendAndRunWithin(streamId, events, options);
      recordAppend(duplicate ? 'duplicate' : 'appended', startedAt);
      return result;
    } catch (error) {
      recordAppend(appendFailureOutcome(error), startedAt);
      throw error;
    }
  }

  private async appendAndRunWithin(
    streamId: string,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): Promise<{ result: AppendResult; duplicate: boolean }> {
    this.assertOpen();
    assertValidAppend(streamId, events, options.expectedRevision);

    // Retrying is safe: an attempt that reached the server before failing is
    // recognised by its event ids and reported as an idempotent success.
    let attempts = 0;
    const { result, duplicate } = await withRetry('append', this.policy, () => {
      attempts += 1;
      return this.appendOnce(streamId, events, options.expectedRevision);
    });

    // A duplicate on the first attempt repeats an earlier append whose
    // transactional writes already ran, as the SQL adapters skip them too. A
    // duplicate after a retry may be this call's own lost attempt, so they run.
    const within = options.withinTransaction;
    if (within && !(duplicate && attempts === 1)) await this.db.transaction((tx) => within(tx, result));
    return { result, duplicate };
  }

  async readStream(streamId: string, options: { fromRevision?: number; maxCount?: number } = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const maxCount = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    if (maxCount <= 0) return [];
    const fromRevision = BigInt(options.fromRevision ?? 0);
    return withRetry('readStream', this.policy, (signal) =>
      this.readStreamEvents(streamId, { direction: FORWARDS, fromRevision, maxCount }, signal),
    );
  }

  async readStreamTail(streamId: string, count: number): Promise<RecordedEvent[]> {
    this.assertOpen();
    if (count <= 0) return [];
    const newestFirst = await withRetry('readStreamTail', this.policy, (signal) =>
      this.readStreamEvents(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: count }, signal),
    );
    return newestFirst.reverse();
  }

  async readAll(after: Position | null, limit: number): Promise<RecordedEvent[]> {
    this.assertOpen();
    if (limit <= 0) return [];
    return withRetry('readAll', this.policy, (signal) => this.readLogOnce(after, limit, signal));
  }

  async headPosition(): Promise<Position | null> {
    this.assertOpen();
    return withRetry('headPosition', this.policy, (signal) => this.findHeadPosition(signal));
  }

  async waitForEvents(after: Position | null, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.closing.signal.aborted || signal?.aborted || timeoutMs <= 0) return;
    const stop = new AbortController();
    const abort = () => stop.abort();
    const timer = setTimeout(abort, timeoutMs);
    signal?.addEventListener('abort', abort, { once: true });
    this.closing.signal.addEventListener('abort', abort, { once: true });
    try {
      await this.watchLog(after, stop.signal);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
      this.closing.signal.removeEventListener('abort', abort);
    }
  }

  async ping(): Promise<void> {
    this.assertOpen();
    try {
      await withTimeout('ping', this.policy.attemptTimeoutMs, (signal) =>
        collect(this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 }), signal),
      );
    } catch (error) {
      throw new EventStoreUnavailableError(`EventStoreDB did not respond: ${error instanceof Error ? error.message : String(error)}`, error);
    }
  }

  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    await this.client.dispose();
  }

  private assertOpen(): void {
    if (this.closing.signal.aborted) throw new EventStoreUnavailableError('The EventStoreDB event store is closed');
  }

  private esdbStreamName(streamId: string): string {
    return `${this.namespace}${streamId}`;
  }

  private async appendOnce(
    streamId: string,
    events: readonly NewEvent[],
    expected: ExpectedRevision,
  ): Promise<{ result: AppendResult; duplicate: boolean }> {
    if (this.checkStoredIds) {
      const repeated = await this.findRepeatedAppend(streamId, events, expected);
      if (repeated) return { result: repeated, duplicate: true };
    }

    const streamName = this.esdbStreamName(streamId);
    let outcome;
    try {
      outcome = await this.client.appendToStream(streamName, events.map(toEsdbEvent), {
        expectedRevision: toEsdbExpectedRevision(expected),
        deadline: this.policy.attemptTimeoutMs,
      });
    } catch (error) {
      throw translateAppendError(error, streamId, events, expected);
    }

    const nextRevision = Number(outcome.nextExpectedRevision);
    if (outcome.position) return { result: { nextRevision, position: toPortPosition(outcome.position) }, duplicate: false };

    // EventStoreDB reports an idempotent re-append without a position, so the
    // original one is read back from the last event of the earlier append.
    const [last] = await this.readStreamEvents(streamId, { direction: FORWARDS, fromRevision: BigInt(nextRevision), maxCount: 1 });
    if (!last) throw new Error(`Event ${nextRevision} of ${streamId} is missing after an idempotent append`);
    return { result: { nextRevision, position: last.position }, duplicate: true };
  }

  /**
   * Makes ids unique within a stream, as the port promises. EventStoreDB
   * itself only recognises a repeat that follows the expected revision; when
   * the expected revision is the stream's current one it writes the ids again.
   * Returns the original result of a repeat with `any` or `stream_exists`, and
   * throws `WrongExpectedRevisionError` for stored ids under another expected
   * revision. A repeat right after an exact expected revision, and appends
   * with `no_stream`, are left to EventStoreDB, which recognises them.
   */
  private async findRepeatedAppend(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult | undefined> {
    if (expected === 'no_stream') return undefined;
    const stored = await this.readStreamEvents(streamId, { direction: FORWARDS, fromRevision: 0n, maxCount: Number.MAX_SAFE_INTEGER });
    const ids = events.map((event) => event.id.toLowerCase());
    const storedIds = new Set(stored.map((event) => event.id));
    if (!ids.some((id) => storedIds.has(id))) return undefined;

    const first = stored.findIndex((event) => event.id === ids[0]);
    const wholeRepeat = first >= 0 && ids.every((id, index) => stored[first + index]?.id === id);
    if (wholeRepeat && typeof expected === 'number' && first === expected + 1) return undefined;
    if (wholeRepeat && (expected === 'any' || expected === 'stream_exists')) {
      const last = stored[first + ids.length - 1];
      return { nextRevision: last.revision, position: last.position };
    }
    throw new WrongExpectedRevisionError(streamId, expected, stored.at(-1)?.revision ?? 'no_stream');
  }

  private async readStreamEvents(
    streamId: string,
    options: { direction: typeof FORWARDS | typeof BACKWARDS; fromRevision: bigint | typeof END; maxCount: number },
    signal?: AbortSignal,
  ): Promise<RecordedEvent[]> {
    try {
      const resolved = await collect(this.client.readStream(this.esdbStreamName(streamId), options), signal);
      return resolved.flatMap((item) => (item.event ? [toPortEvent(item.event, this.namespace)] : []));
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
  }

  /**
   * Reads the filtered log after `after` through a catch-up subscription,
   * because the client's `readAll` cannot filter on the server. The read ends
   * at `limit` events or when the server reports it has caught up.
   */
  private readLogOnce(after: Position | null, limit: number, signal: AbortSignal): Promise<RecordedEvent[]> {
    return new Promise((resolve, reject) => {
      const subscription = this.subscribeToLog(after);
      const events: RecordedEvent[] = [];
      let caughtUp = false;
      let settled = false;

      const finish = (error?: unknown) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        void subscription.unsubscribe().catch(() => undefined);
        if (error) reject(error);
        else resolve(events.slice(0, limit));
      };
      const onAbort = () => finish(new EventStoreUnavailableError('EventStoreDB readAll was aborted'));
      // Events pushed before CaughtUp may still sit in the stream's buffer when
      // CaughtUp is announced; the read ends once that buffer is drained.
      const finishIfDrained = () => {
        if (caughtUp && subscription.readableLength === 0) finish();
      };

      signal.addEventListener('abort', onAbort, { once: true });
      subscription.on('data', (resolved: AllStreamResolvedEvent) => {
        if (resolved.event) events.push(toPortEvent(resolved.event, this.namespace));
        if (events.length >= limit) finish();
        else finishIfDrained();
      });
      subscription.on('caughtUp', () => {
        caughtUp = true;
        finishIfDrained();
      });
      subscription.on('error', (error) => finish(error));
      subscription.on('close', () => finish(new EventStoreUnavailableError('EventStoreDB closed the $all subscription before it caught up')));
    });
  }

  private subscribeToLog(after: Position | null): AllStreamSubscription {
    return this.client.subscribeToAll({
      fromPosition: after === null ? START : toEsdbPosition(after),
      filter: streamNameFilter({ prefixes: [this.logPrefix] }),
    });
  }

  /**
   * Walks `$all` backwards to the newest event of a log stream. The client
   * cannot filter backward reads, so other streams' events are skipped here.
   */
  private async findHeadPosition(signal: AbortSignal): Promise<Position | null> {
    let from: ReadPosition = END;
    for (;;) {
      const page: AllStreamResolvedEvent[] = await collect(this.client.readAll({ direction: BACKWARDS, fromPosition: from, maxCount: HEAD_SCAN_PAGE }), signal);
      for (const { event } of page) {
        if (event?.position && event.streamId.startsWith(this.logPrefix)) return toPortPosition(event.position);
      }
      const oldest: EsdbPosition | undefined = page.at(-1)?.event?.position;
      if (page.length < HEAD_SCAN_PAGE || !oldest) return null;
      from = oldest;
    }
  }

  /**
   * Resolves when an event after `after` arrives on a filtered subscription,
   * or when `stop` aborts. A lost connection is retried with growing delays
   * from the same position, so no event is missed while reconnecting.
   */
  private async watchLog(after: Position | null, stop: AbortSignal): Promise<void> {
    for (let failures = 0; !stop.aborted; failures += 1) {
      try {
        await this.watchLogOnce(after, stop);
        return;
      } catch (error) {
        if (stop.aborted) return;
        const delayMs = Math.min(this.policy.baseDelayMs * 2 ** failures, this.maxReconnectDelayMs);
        log.warn('EventStoreDB subscription failed, reconnecting', { after, attempt: failures + 1, delayMs, ...errorFields(error) });
        await sleep(delayMs, stop);
      }
    }
  }

  private watchLogOnce(after: Position | null, stop: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const subscription = this.subscribeToLog(after);
      let settled = false;
      const finish = (error?: unknown) => {
        if (settled) return;
        settled = true;
        stop.removeEventListener('abort', onStop);
        void subscription.unsubscribe().catch(() => undefined);
        if (error) reject(error);
        else resolve();
      };
      const onStop = () => finish();

      stop.addEventListener('abort', onStop, { once: true });
      subscription.on('data', () => finish());
      subscription.on('error', (error) => finish(error));
      subscription.on('close', () => finish(new EventStoreUnavailableError('EventStoreDB closed the $all subscription')));
    });
  }
}

/** Opens the EventStoreDB event store; the client connects on first use. */
export function createEsdbEventStore(options: EsdbEventStoreOptions): EsdbEventStore {
  return new EsdbEventStore(options);
}

function appendFailureOutcome(error: unknown): AppendOutcome {
  if (error instanceof WrongExpectedRevisionError) return 'conflict';
  if (error instanceof EventTooLargeError) return 'too_large';
  if (error instanceof EventStoreUnavailableError) return 'unavailable';
  return 'error';
}

function translateAppendError(error: unknown, streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): unknown {
  if (error instanceof WrongExpectedVersionError) {
    return new WrongExpectedRevisionError(streamId, expected, toPortActualRevision(error.actualVersion));
  }
  if (error instanceof MaxAppendSizeExceededError) {
    // Each event is under the port's limit, so the server's cap on one append
    // was hit. The error names the largest event and the whole append's size.
    const largest = events.reduce((max, event) => (eventBytes(event) > eventBytes(max) ? event : max));
    const total = events.reduce((sum, event) => sum + eventBytes(event), 0);
    log.warn('EventStoreDB rejected an append over its maximum append size', {
      streamId,
      events: events.length,
      bytes: total,
      maxAppendSize: error.maxAppendSize,
    });
    return new EventTooLargeError(streamId, largest.type, total);
  }
  return error;
}

/** Reads a whole client stream, cancelling the call when `signal` aborts. */
async function collect<T>(stream: StreamingRead<T>, signal?: AbortSignal): Promise<T[]> {
  const cancel = () => void stream.cancel().catch(() => undefined);
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    const items: T[] = [];
    for await (const item of stream) items.push(item as T);
    return items;
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
}

/** Hides the password of `esdb://user:password@host` connection strings. */
export function redactConnectionString(connectionString: string): string {
  return connectionString.replace(/\/\/([^:/@]+):([^@]*)@/, '//$1:***@');
}
