import type { SqlExecutor } from '../infrastructure/database';
import { WrongExpectedRevisionError, encodePosition, type AppendResult, type ExpectedRevision } from './port';
import { EXPECTED_NO_STREAM, EXPECTED_STREAM_EXISTS } from './sql-migrations';
import type { AppendBatch } from './sql-rows';

// One statement appends the batch when the stream is in the expected state
// and inserts nothing otherwise. Its snapshot sees the stream's last revision
// only once the transaction that wrote it has committed, and this
// transaction's id is assigned at its first insert, after that snapshot. So
// later revisions of a stream always get higher transaction ids, and the
// global order (transaction_id, seq) keeps every stream in revision order.
// ORDER BY w.ord makes the sequence numbers follow the batch order.
const APPEND_SQL = `
WITH head AS (SELECT coalesce(max(revision), -1) AS revision FROM events WHERE stream_id = $1)
INSERT INTO events (stream_id, revision, event_id, type, data, metadata)
SELECT $1, head.revision + w.ord, w.id, w.type, w.data, w.metadata
  FROM head, unnest($3::uuid[], $4::text[], $5::json[], $6::json[]) WITH ORDINALITY AS w(id, type, data, metadata, ord)
 WHERE CASE WHEN $2::bigint >= 0 THEN head.revision = $2::bigint
            WHEN $2::bigint = ${EXPECTED_NO_STREAM} THEN head.revision = -1
            WHEN $2::bigint = ${EXPECTED_STREAM_EXISTS} THEN head.revision >= 0
            ELSE true END
 ORDER BY w.ord
RETURNING revision, transaction_id::text AS transaction_text, seq`;

// What is stored of a rejected batch, and the stream's last revision.
const REJECTED_SQL = `
SELECT e.event_id::text AS event_id, e.stream_id, e.revision, e.transaction_id::text AS transaction_text, e.seq,
       (SELECT max(revision) FROM events WHERE stream_id = $1) AS current_revision
  FROM (SELECT 1) AS one
  LEFT JOIN events e ON e.event_id = ANY ($2::uuid[])`;

interface InsertedRow {
  revision: string | number;
  transaction_text: string;
  seq: string | number;
}

interface RejectedRow {
  event_id: string | null;
  stream_id: string | null;
  revision: string | number | null;
  transaction_text: string | null;
  seq: string | number | null;
  current_revision: string | number | null;
}

/** Appends the batch; resolves to undefined when the stream is not in the expected state. */
export async function insertBatch(
  executor: SqlExecutor,
  streamId: string,
  batch: AppendBatch,
  expected: number,
): Promise<AppendResult | undefined> {
  const result = await executor.query<InsertedRow>(
    APPEND_SQL,
    [streamId, expected, batch.ids, batch.types, batch.data, batch.metadata],
    { name: 'eventstore_append' },
  );
  if (result.rows.length === 0) return undefined;
  const last = result.rows.reduce((a, b) => (Number(b.revision) > Number(a.revision) ? b : a));
  return { nextRevision: Number(last.revision), position: encodePosition(BigInt(last.transaction_text), BigInt(last.seq)) };
}

/**
 * Explains a rejected append: returns the original result when the same
 * events were stored by an append with the same expected revision, and
 * throws `WrongExpectedRevisionError` with the stream's revision otherwise.
 */
export async function resolveRejectedAppend(
  executor: SqlExecutor,
  streamId: string,
  batch: AppendBatch,
  expected: number,
  expectedRevision: ExpectedRevision,
): Promise<AppendResult> {
  const { rows } = await executor.query<RejectedRow>(REJECTED_SQL, [streamId, batch.ids]);
  const duplicate = originalAppend(rows, streamId, batch, expected);
  if (duplicate) return duplicate;

  const current = rows[0]?.current_revision;
  throw new WrongExpectedRevisionError(streamId, expectedRevision, current === null || current === undefined ? 'no_stream' : Number(current));
}

/** The result of the earlier append that stored exactly this batch, if there was one. */
function originalAppend(rows: RejectedRow[], streamId: string, batch: AppendBatch, expected: number): AppendResult | undefined {
  const byId = new Map(rows.filter((row) => row.event_id !== null).map((row) => [row.event_id!, row]));
  const stored = batch.ids.map((id) => byId.get(id));
  if (stored.some((row) => row === undefined || row.stream_id !== streamId)) return undefined;

  const revisions = stored.map((row) => Number(row!.revision));
  const first = revisions[0]!;
  if (revisions.some((revision, index) => revision !== first + index)) return undefined;
  if (expected >= 0 && first !== expected + 1) return undefined;
  if (expected === EXPECTED_NO_STREAM && first !== 0) return undefined;

  const last = stored.at(-1)!;
  return { nextRevision: Number(last.revision), position: encodePosition(BigInt(last.transaction_text!), BigInt(last.seq!)) };
}
