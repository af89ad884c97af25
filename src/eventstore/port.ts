import type { SqlExecutor } from '../infrastructure/database';

/**
 * A position in the global log: an opaque token whose plain string order is
 * the log's total order (fixed-width lowercase hex, see `comparePositions`).
 * `null` stands for "before the first event".
 */
export type Position = string;

/** Stream state an append requires: no stream yet, any state, an existing stream, or an exact 0-based revision. */
export type ExpectedRevision = 'no_stream' | 'any' | 'stream_exists' | number;

export interface EventMetadata {
  /** Business time of the fact (ISO 8601); for imported history, the original time. */
  occurredAt: string;
  correlationId?: string;
  causationId?: string;
  schemaVersion: number;
  [key: string]: unknown;
}

export interface NewEvent {
  /** UUID chosen by the caller; appending an id that is already stored is idempotent. */
  id: string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
}

export interface RecordedEvent {
  id: string;
  type: string;
  streamId: string;
  /** 0-based revision within the stream. */
  revision: number;
  position: Position;
  data: unknown;
  metadata: EventMetadata;
  /** When the store committed it (ISO 8601). */
  recordedAt: string;
}

export interface AppendResult {
  /** Revision of the last event appended. */
  nextRevision: number;
  /** Global position of the last event appended. */
  position: Position;
}

export interface AppendOptions {
  expectedRevision: ExpectedRevision;
  /**
   * Writes that must commit with the events (an idempotency record, say). The
   * SQL adapters run them in the append's transaction. An adapter whose store
   * is not the SQL database runs them in a database transaction right after.
   */
  withinTransaction?: (tx: SqlExecutor, result: AppendResult) => Promise<void>;
}

/** Maximum serialized size of one event's data plus metadata. */
export const MAX_EVENT_BYTES = 1024 * 1024;

export interface EventStore {
  /** Short description for the start-up log line, without credentials. */
  readonly description: string;

  /**
   * Appends events atomically. Throws `WrongExpectedRevisionError` when the
   * stream is not in the expected state, and `EventTooLargeError` for an event
   * over `MAX_EVENT_BYTES`. Re-appending events whose ids are stored, with the
   * same expected revision, writes nothing and returns the original result.
   */
  append(streamId: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult>;

  /** Reads a stream forward from `fromRevision` (inclusive); an unknown stream gives []. */
  readStream(streamId: string, options?: { fromRevision?: number; maxCount?: number }): Promise<RecordedEvent[]>;

  /** Reads the last `count` events of a stream, returned in revision order. */
  readStreamTail(streamId: string, count: number): Promise<RecordedEvent[]>;

  /**
   * Reads up to `limit` events of the global log strictly after `after`, in
   * log order. Never skips an event that commits late and never waits on a
   * rolled-back append.
   */
  readAll(after: Position | null, limit: number): Promise<RecordedEvent[]>;

  /** Position of the last event a reader can see now, or null for an empty log. */
  headPosition(): Promise<Position | null>;

  /**
   * Resolves once events after `after` may be readable, or when `timeoutMs`
   * passes or `signal` aborts, whichever comes first. Never busy-polls.
   */
  waitForEvents(after: Position | null, timeoutMs: number, signal?: AbortSignal): Promise<void>;

  /** Checks that the store responds, and throws when it does not. */
  ping(): Promise<void>;

  close(): Promise<void>;
}

export class WrongExpectedRevisionError extends Error {
  readonly code = 'WRONG_EXPECTED_REVISION';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** Revision of the stream's last event, or 'no_stream'. */
    readonly actual: number | 'no_stream',
  ) {
    super(`Stream ${streamId} expected revision ${String(expected)} but is at ${String(actual)}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

export class EventTooLargeError extends Error {
  readonly code = 'EVENT_TOO_LARGE';
  constructor(
    readonly streamId: string,
    readonly eventType: string,
    readonly bytes: number,
  ) {
    super(`Event ${eventType} for stream ${streamId} is ${bytes} bytes; the maximum is ${MAX_EVENT_BYTES}`);
    this.name = 'EventTooLargeError';
  }
}

/** The store could not be reached or failed; callers may retry later. */
export class EventStoreUnavailableError extends Error {
  readonly code = 'EVENT_STORE_UNAVAILABLE';
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'EventStoreUnavailableError';
  }
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks the events of one append, the same way on every adapter, and returns
 * their ids in lower case. Throws `TypeError` for an empty append, an id that
 * is not a UUID or appears twice, or a missing type.
 */
export function checkNewEvents(streamId: string, events: readonly NewEvent[]): string[] {
  if (events.length === 0) throw new TypeError(`Append to stream ${streamId} has no events`);
  const ids: string[] = [];
  const seen = new Set<string>();
  for (const event of events) {
    if (typeof event.id !== 'string' || !UUID_PATTERN.test(event.id)) {
      throw new TypeError(`Event id ${JSON.stringify(event.id)} for stream ${streamId} is not a UUID`);
    }
    const id = event.id.toLowerCase();
    if (seen.has(id)) throw new TypeError(`Event id ${id} appears twice in one append to stream ${streamId}`);
    seen.add(id);
    if (typeof event.type !== 'string' || event.type.length === 0) {
      throw new TypeError(`Event ${id} for stream ${streamId} has no type`);
    }
    ids.push(id);
  }
  return ids;
}

/** Builds a position token from two unsigned 64-bit parts, e.g. transaction id and sequence. */
export function encodePosition(high: bigint, low: bigint): Position {
  return `${high.toString(16).padStart(16, '0')}${low.toString(16).padStart(16, '0')}`;
}

export function decodePosition(position: Position): { high: bigint; low: bigint } {
  if (!isPosition(position)) throw new Error(`Invalid event position ${JSON.stringify(position)}`);
  return { high: BigInt(`0x${position.slice(0, 16)}`), low: BigInt(`0x${position.slice(16)}`) };
}

export function isPosition(text: string): boolean {
  return /^[0-9a-f]{32}$/.test(text);
}

/** Orders positions; null (before the first event) sorts first. */
export function comparePositions(a: Position | null, b: Position | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}
