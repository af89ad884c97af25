import {
  EventTooLargeError,
  checkNewEvents,
  MAX_EVENT_BYTES,
  encodePosition,
  type EventMetadata,
  type ExpectedRevision,
  type NewEvent,
  type RecordedEvent,
} from './port';
import { EXPECTED_ANY, EXPECTED_NO_STREAM, EXPECTED_STREAM_EXISTS } from './sql-migrations';

/**
 * Columns of `events` as `RecordedEvent` needs them. The xid8 comes back as
 * text under another name, so that `ORDER BY transaction_id` still sorts by
 * the xid8 column and not by its text.
 */
export const EVENT_COLUMNS =
  'stream_id, revision, event_id, type, data, metadata, transaction_id::text AS transaction_text, seq, recorded_at';

export interface EventRow {
  stream_id: string;
  revision: string | number | bigint;
  event_id: string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
  transaction_text: string;
  seq: string | number | bigint;
  recorded_at: Date | string;
}

export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    type: row.type,
    streamId: row.stream_id,
    revision: Number(row.revision),
    position: encodePosition(BigInt(row.transaction_text), BigInt(row.seq)),
    data: row.data,
    metadata: row.metadata,
    recordedAt: new Date(row.recorded_at).toISOString(),
  };
}

/** Events serialized for the append statements, one array per column. */
export interface AppendBatch {
  ids: string[];
  types: string[];
  data: string[];
  metadata: string[];
}


/**
 * Checks and serializes the events of one append. Throws `EventTooLargeError`
 * for an event whose data plus metadata exceed `MAX_EVENT_BYTES` in UTF-8,
 * and `TypeError` for an empty batch, a missing type, or an id that is not a
 * UUID or appears twice.
 */
export function serializeBatch(streamId: string, events: readonly NewEvent[]): AppendBatch {
  const ids = checkNewEvents(streamId, events);
  const batch: AppendBatch = { ids: [], types: [], data: [], metadata: [] };
  for (const [index, event] of events.entries()) {
    const data = JSON.stringify(event.data) ?? 'null';
    const metadata = JSON.stringify(event.metadata) ?? 'null';
    const bytes = Buffer.byteLength(data, 'utf8') + Buffer.byteLength(metadata, 'utf8');
    if (bytes > MAX_EVENT_BYTES) throw new EventTooLargeError(streamId, event.type, bytes);

    batch.ids.push(ids[index]);
    batch.types.push(event.type);
    batch.data.push(data);
    batch.metadata.push(metadata);
  }
  return batch;
}

/** Encodes an expected state as the number the append statements compare with the stream's head. */
export function encodeExpected(expected: ExpectedRevision): number {
  switch (expected) {
    case 'no_stream':
      return EXPECTED_NO_STREAM;
    case 'any':
      return EXPECTED_ANY;
    case 'stream_exists':
      return EXPECTED_STREAM_EXISTS;
    default:
      if (typeof expected !== 'number' || !Number.isSafeInteger(expected) || expected < 0) {
        throw new TypeError(`Expected revision ${String(expected)} is invalid: use a revision >= 0, 'no_stream', 'any' or 'stream_exists'`);
      }
      return expected;
  }
}
