import type { Migration } from '../infrastructure/migrations';

/**
 * Tables of the relay and the inbound consumer. `relay_checkpoint.position`
 * is the global-log position of the last event the broker confirmed (null:
 * nothing published yet). `inbox` records each inbound message id in the
 * transaction of its effect, so a redelivered message has no second effect.
 */
export const messagingMigrations: readonly Migration[] = [
  {
    id: 'messaging/001-relay-checkpoint',
    sql: `
CREATE TABLE IF NOT EXISTS relay_checkpoint (
  name text PRIMARY KEY,
  position text NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
`,
  },
  {
    id: 'messaging/002-inbox',
    sql: `
CREATE TABLE IF NOT EXISTS inbox (
  message_id text PRIMARY KEY,
  type text NOT NULL,
  source text NOT NULL,
  occurred_at timestamptz NULL,
  processed_at timestamptz NOT NULL DEFAULT now()
);
`,
  },
];
