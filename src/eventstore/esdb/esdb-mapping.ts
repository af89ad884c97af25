import { jsonEvent, type AppendExpectedRevision, type EventData, type JSONEventData, type Position as EsdbPosition, type RecordedEvent as EsdbRecordedEvent } from '@eventstore/db-client';
import {
  EventTooLargeError,
  checkNewEvents,
  MAX_EVENT_BYTES,
  decodePosition,
  encodePosition,
  type EventMetadata,
  type ExpectedRevision,
  type NewEvent,
  type Position,
  type RecordedEvent,
} from '../port';

/** Turns EventStoreDB's (commit, prepare) pair into the port's token; both sort the same way. */
export function toPortPosition(position: EsdbPosition): Position {
  return encodePosition(position.commit, position.prepare);
}

export function toEsdbPosition(position: Position): EsdbPosition {
  const { high, low } = decodePosition(position);
  return { commit: high, prepare: low };
}

/** Maps the port's expected state one to one: the same names, and an exact 0-based revision as a bigint. */
export function toEsdbExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  return typeof expected === 'number' ? BigInt(expected) : expected;
}

/** Converts the client's `actualVersion` into the revision `WrongExpectedRevisionError` reports. */
export function toPortActualRevision(actual: bigint | string | undefined): number | 'no_stream' {
  return typeof actual === 'bigint' && actual >= 0n ? Number(actual) : 'no_stream';
}

/** Serialized size of one event as the port limits it: JSON data plus JSON metadata, in UTF-8 bytes. */
export function eventBytes(event: NewEvent): number {
  const data = JSON.stringify(event.data) ?? 'null';
  const metadata = JSON.stringify(event.metadata) ?? 'null';
  return Buffer.byteLength(data, 'utf8') + Buffer.byteLength(metadata, 'utf8');
}


/**
 * Checks one append before anything is sent, with the SQL adapter's rules.
 * Throws `TypeError` for an empty append, an id that is not a UUID or appears
 * twice, a missing type or an invalid expected revision. Throws
 * `EventTooLargeError` for an event whose data plus metadata exceed `MAX_EVENT_BYTES`.
 */
export function assertValidAppend(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): void {
  if (typeof expected === 'number' && (!Number.isSafeInteger(expected) || expected < 0)) {
    throw new TypeError(`Expected revision ${String(expected)} is invalid: use a revision >= 0, 'no_stream', 'any' or 'stream_exists'`);
  }
  if (typeof expected !== 'number' && !['no_stream', 'any', 'stream_exists'].includes(expected)) {
    throw new TypeError(`Expected revision ${String(expected)} is invalid: use a revision >= 0, 'no_stream', 'any' or 'stream_exists'`);
  }
  checkNewEvents(streamId, events);
  for (const event of events) {
    const bytes = eventBytes(event);
    if (bytes > MAX_EVENT_BYTES) throw new EventTooLargeError(streamId, event.type, bytes);
  }
}

export function toEsdbEvent(event: NewEvent): EventData {
  return jsonEvent({
    id: event.id.toLowerCase(),
    type: event.type,
    data: event.data as JSONEventData['data'],
    metadata: event.metadata as unknown as JSONEventData['metadata'],
  });
}

/**
 * Converts an event read from EventStoreDB. `esdbStreamName` has the
 * namespace prefix that `namespace` strips, so callers see their own stream ids.
 */
export function toPortEvent(event: EsdbRecordedEvent, namespace: string): RecordedEvent {
  if (!event.position) throw new Error(`EventStoreDB returned event ${event.id} without a position`);
  return {
    id: event.id,
    type: event.type,
    streamId: event.streamId.slice(namespace.length),
    revision: Number(event.revision),
    position: toPortPosition(event.position),
    data: event.data,
    metadata: (event.metadata ?? {}) as EventMetadata,
    recordedAt: event.created.toISOString(),
  };
}
