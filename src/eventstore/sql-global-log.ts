import type { SqlExecutor } from '../infrastructure/database';
import { decodePosition, encodePosition, type Position, type RecordedEvent } from './port';
import { EVENT_COLUMNS, toRecordedEvent, type EventRow } from './sql-rows';

// The global log is ordered by (transaction_id, seq). A reader reads only
// below a visibility barrier: the lowest transaction id that was still in
// progress when its statement's snapshot was taken and that may write to this
// database, or the snapshot's xmax when there is none. Every transaction below
// the barrier has ended, so no event can still appear before the last one read.
//
// Transactions of backends connected to other databases of the same server
// cannot write here and are left out; an in-progress transaction whose backend
// is not found (it ended meanwhile, or is a prepared transaction) is kept in,
// which can only lower the barrier.
const BARRIER_CTE = `
barrier AS (
  SELECT least(
           pg_snapshot_xmax(snap.s),
           (SELECT min(x) FROM pg_snapshot_xip(snap.s) AS x
             WHERE xid(x) NOT IN (SELECT a.backend_xid FROM pg_stat_get_activity(NULL) AS a
                                   WHERE a.backend_xid IS NOT NULL
                                     AND a.datid <> (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())))
         ) AS visible_below
    FROM (SELECT pg_current_snapshot() AS s) AS snap
)`;

const READ_ALL_SQL = `
WITH ${BARRIER_CTE}
SELECT ${EVENT_COLUMNS} FROM events
 WHERE (transaction_id, seq) > ($1::xid8, $2::bigint) AND transaction_id < (SELECT visible_below FROM barrier)
 ORDER BY transaction_id, seq
 LIMIT $3`;

const HEAD_SQL = `
WITH ${BARRIER_CTE}
SELECT transaction_id::text AS transaction_text, seq FROM events
 WHERE transaction_id < (SELECT visible_below FROM barrier)
 ORDER BY transaction_id DESC, seq DESC
 LIMIT 1`;

// Whether events after a position are readable now, or committed but held back by an open transaction.
const LOG_STATE_SQL = `
WITH ${BARRIER_CTE}
SELECT EXISTS (SELECT 1 FROM events e WHERE (e.transaction_id, e.seq) > ($1::xid8, $2::bigint)
                 AND e.transaction_id < (SELECT visible_below FROM barrier)) AS readable,
       EXISTS (SELECT 1 FROM events e WHERE (e.transaction_id, e.seq) > ($1::xid8, $2::bigint)
                 AND e.transaction_id >= (SELECT visible_below FROM barrier)) AS held_back`;

// The transaction at the barrier, when it holds committed events back, and its age.
const HELD_BACK_SQL = `
WITH ${BARRIER_CTE}
SELECT b.visible_below::text AS barrier,
       EXISTS (SELECT 1 FROM events e WHERE e.transaction_id >= b.visible_below) AS held_back,
       (SELECT extract(epoch FROM clock_timestamp() - min(a.xact_start))::float8
          FROM pg_stat_get_activity(NULL) AS a
         WHERE a.backend_xid = xid(b.visible_below)) AS age_seconds
  FROM barrier b`;

export async function readGlobalLog(executor: SqlExecutor, after: Position | null, limit: number): Promise<RecordedEvent[]> {
  const [afterXid, afterSeq] = positionParams(after);
  const result = await executor.query<EventRow>(READ_ALL_SQL, [afterXid, afterSeq, limit], { name: 'eventstore_read_all' });
  return result.rows.map(toRecordedEvent);
}

export async function readHeadPosition(executor: SqlExecutor): Promise<Position | null> {
  const result = await executor.query<{ transaction_text: string; seq: string | number }>(HEAD_SQL, [], { name: 'eventstore_head' });
  const head = result.rows[0];
  return head ? encodePosition(BigInt(head.transaction_text), BigInt(head.seq)) : null;
}

export async function readLogState(
  executor: SqlExecutor,
  after: Position | null,
): Promise<{ readable: boolean; heldBack: boolean }> {
  const [afterXid, afterSeq] = positionParams(after);
  const result = await executor.query<{ readable: boolean; held_back: boolean }>(LOG_STATE_SQL, [afterXid, afterSeq], {
    name: 'eventstore_log_state',
  });
  const row = result.rows[0];
  return { readable: row?.readable === true, heldBack: row?.held_back === true };
}

export interface HeldBackState {
  /** Transaction id of the visibility barrier, as text. */
  barrier: string;
  heldBack: boolean;
  /** Age of the transaction at the barrier, when its backend is visible. */
  ageSeconds: number | null;
}

export async function readHeldBackState(executor: SqlExecutor): Promise<HeldBackState> {
  const result = await executor.query<{ barrier: string; held_back: boolean; age_seconds: number | null }>(HELD_BACK_SQL);
  const row = result.rows[0];
  return {
    barrier: row?.barrier ?? '',
    heldBack: row?.held_back === true,
    ageSeconds: row?.age_seconds === null || row?.age_seconds === undefined ? null : Number(row.age_seconds),
  };
}

/** (transaction id, sequence) of a position as query parameters; null means before the first event. */
function positionParams(after: Position | null): [string, string] {
  if (after === null) return ['0', '0'];
  const { high, low } = decodePosition(after);
  return [high.toString(), low.toString()];
}
