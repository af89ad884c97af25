import type { Migration } from '../infrastructure/migrations';

/**
 * Codes for the non-numeric expected states, passed to `append_events` in
 * place of an exact revision (which is never negative).
 */
export const EXPECTED_NO_STREAM = -1;
export const EXPECTED_ANY = -2;
export const EXPECTED_STREAM_EXISTS = -3;

/** Channel on which appenders tell other service instances that the log grew. */
export const EVENTS_NOTIFY_CHANNEL = 'ordersvc_events';

// The schema of the PostgreSQL and PGlite event store.
//
// `streams` holds one row per stream with its last revision. Every append
// updates that row first, so concurrent appenders to one stream queue on its
// row lock and each sees the revision the previous one committed.
//
// `events` is the log. Its global order is (transaction_id, seq): readers only
// read events whose transaction id is below the xmin of their snapshot, so
// every transaction that could still add an earlier event has ended (see
// docs/eventstore.md).
//
// `streams.last_transaction_id` keeps each stream's events in revision order
// in that global order: a transaction whose id is lower than the one that
// wrote the stream's previous revision cannot append to the stream, and
// `append_events` raises a serialization failure (40001) so that the caller
// retries in a new transaction, which gets a higher id.
const createEventStore = `
CREATE TABLE streams (
  stream_id text PRIMARY KEY,
  revision bigint NOT NULL,
  last_transaction_id xid8 NOT NULL
);

CREATE SEQUENCE event_seq AS bigint;

CREATE TABLE events (
  stream_id text NOT NULL,
  revision bigint NOT NULL,
  event_id uuid NOT NULL,
  type text NOT NULL,
  data json NOT NULL,
  metadata json NOT NULL,
  transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  seq bigint NOT NULL DEFAULT nextval('event_seq'),
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream_id, revision),
  CONSTRAINT events_event_id_key UNIQUE (event_id)
);

CREATE UNIQUE INDEX events_global_order ON events (transaction_id, seq);

CREATE FUNCTION append_events(
  p_stream_id text,
  p_expected bigint,
  p_ids uuid[],
  p_types text[],
  p_data json[],
  p_metadata json[]
) RETURNS TABLE (outcome text, stream_revision bigint, last_transaction_id xid8, last_seq bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_count bigint := cardinality(p_ids);
  v_xid xid8 := pg_current_xact_id();
  v_revision bigint;
  v_actual bigint;
  v_actual_xid xid8;
  v_seq bigint;
  v_stored_revisions bigint[];
  v_same_stream boolean;
  v_first_expected bigint;
BEGIN
  -- 1. Idempotent re-append: the events are already stored.
  IF EXISTS (SELECT 1 FROM events e WHERE e.event_id = ANY (p_ids)) THEN
    SELECT array_agg(e.revision ORDER BY w.ord), bool_and(e.stream_id = p_stream_id)
      INTO v_stored_revisions, v_same_stream
      FROM unnest(p_ids) WITH ORDINALITY AS w(id, ord)
      JOIN events e ON e.event_id = w.id;
    v_first_expected := CASE WHEN p_expected >= 0 THEN p_expected + 1 WHEN p_expected = -1 THEN 0 ELSE v_stored_revisions[1] END;
    IF cardinality(v_stored_revisions) = v_count AND v_same_stream
       AND v_stored_revisions = ARRAY(SELECT generate_series(v_first_expected, v_first_expected + v_count - 1)) THEN
      RETURN QUERY
        SELECT 'duplicate'::text, e.revision, e.transaction_id, e.seq
          FROM events e WHERE e.event_id = p_ids[v_count];
      RETURN;
    END IF;
    SELECT s.revision INTO v_actual FROM streams s WHERE s.stream_id = p_stream_id;
    RETURN QUERY SELECT 'conflict'::text, coalesce(v_actual, -1), NULL::xid8, NULL::bigint;
    RETURN;
  END IF;

  -- 2. Claim the revisions on the stream's row (waits for a concurrent appender).
  IF p_expected = -1 THEN
    INSERT INTO streams AS s (stream_id, revision, last_transaction_id)
      VALUES (p_stream_id, v_count - 1, v_xid)
      ON CONFLICT (stream_id) DO NOTHING
      RETURNING s.revision INTO v_revision;
  ELSIF p_expected = -2 THEN
    INSERT INTO streams AS s (stream_id, revision, last_transaction_id)
      VALUES (p_stream_id, v_count - 1, v_xid)
      ON CONFLICT (stream_id) DO UPDATE
        SET revision = s.revision + v_count, last_transaction_id = v_xid
        WHERE s.last_transaction_id <= v_xid
      RETURNING s.revision INTO v_revision;
  ELSIF p_expected = -3 THEN
    UPDATE streams AS s SET revision = s.revision + v_count, last_transaction_id = v_xid
      WHERE s.stream_id = p_stream_id AND s.last_transaction_id <= v_xid
      RETURNING s.revision INTO v_revision;
  ELSE
    UPDATE streams AS s SET revision = p_expected + v_count, last_transaction_id = v_xid
      WHERE s.stream_id = p_stream_id AND s.revision = p_expected AND s.last_transaction_id <= v_xid
      RETURNING s.revision INTO v_revision;
  END IF;

  -- 3. Not claimed: a wrong expected revision, or a transaction id older than the stream's last writer.
  IF v_revision IS NULL THEN
    SELECT s.revision, s.last_transaction_id INTO v_actual, v_actual_xid
      FROM streams s WHERE s.stream_id = p_stream_id;
    IF v_actual_xid > v_xid AND (p_expected IN (-2, -3) OR p_expected = v_actual) THEN
      RAISE EXCEPTION 'stream % was last written by a newer transaction; retry the append', p_stream_id
        USING ERRCODE = '40001';
    END IF;
    RETURN QUERY SELECT 'conflict'::text, coalesce(v_actual, -1), NULL::xid8, NULL::bigint;
    RETURN;
  END IF;

  -- 4. Write the events; their sequence numbers follow the array order.
  WITH inserted AS (
    INSERT INTO events (stream_id, revision, event_id, type, data, metadata, transaction_id)
      SELECT p_stream_id, v_revision - v_count + w.ord, w.id, w.type, w.data, w.metadata, v_xid
        FROM unnest(p_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS w(id, type, data, metadata, ord)
      RETURNING seq
  )
  SELECT max(i.seq) INTO v_seq FROM inserted i;

  RETURN QUERY SELECT 'appended'::text, v_revision, v_xid, v_seq;
END;
$$;
`;

export const eventStoreMigrations: Migration[] = [{ id: 'eventstore/001-streams-and-events', sql: createEventStore }];
