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

// The schema of the PostgreSQL and PGlite event store: one table, `events`.
//
// The primary key (stream_id, revision) lets exactly one append claim each
// revision of a stream: a concurrent append of the same revision waits for
// the first to end and then fails with a unique violation.
//
// The global order is (transaction_id, seq). Readers only read events whose
// transaction id is below the xmin of their snapshot, so every transaction
// that could still add an earlier event has ended (see docs/eventstore.md).
const createEventStore = `
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
`;

export const eventStoreMigrations: Migration[] = [{ id: 'eventstore/001-events', sql: createEventStore }];
