import type { Position } from '../src/eventstore/port';
import type { SqlExecutor } from '../src/infrastructure/database';
import type { Migration } from '../src/infrastructure/migrations';

/** NOTIFY channel on which a committed batch announces `<projection>:<position>`. */
export const CHECKPOINT_CHANNEL = 'ordersvc_projection_checkpoint';

/**
 * DDL of the checkpoint table, with an unqualified name so that a rebuild
 * schema gets its own copy. `position` sorts bytewise (COLLATE "C") because
 * positions are fixed-width lowercase hex whose string order is log order.
 */
export const checkpointTableSql = `
CREATE TABLE IF NOT EXISTS projection_checkpoints (
  projection text PRIMARY KEY,
  position text COLLATE "C",
  last_recorded_at timestamptz,
  events_applied bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
`;

export const checkpointMigrations: readonly Migration[] = [{ id: 'projections/000-checkpoints', sql: checkpointTableSql }];

export interface Checkpoint {
  position: Position | null;
  /** When the store committed the last applied event (ISO 8601), or null before the first. */
  lastRecordedAt: string | null;
}

interface CheckpointRow {
  position: string | null;
  last_recorded_at: Date | string | null;
}

function toCheckpoint(row: CheckpointRow | undefined): Checkpoint {
  if (!row) return { position: null, lastRecordedAt: null };
  const recorded = row.last_recorded_at;
  return { position: row.position, lastRecordedAt: recorded === null ? null : new Date(recorded).toISOString() };
}

/** Makes sure the projection has a checkpoint row, so that later batches can lock it. */
export async function ensureCheckpoint(executor: SqlExecutor, projection: string): Promise<void> {
  await executor.query('INSERT INTO projection_checkpoints (projection) VALUES ($1) ON CONFLICT (projection) DO NOTHING', [
    projection,
  ]);
}

export async function readCheckpoint(executor: SqlExecutor, projection: string): Promise<Checkpoint> {
  const result = await executor.query<CheckpointRow>(
    'SELECT position, last_recorded_at FROM projection_checkpoints WHERE projection = $1',
    [projection],
  );
  return toCheckpoint(result.rows[0]);
}

/** Locks the projection's checkpoint row for the rest of the transaction and returns it. */
export async function lockCheckpoint(tx: SqlExecutor, projection: string): Promise<Checkpoint> {
  const result = await tx.query<CheckpointRow>(
    'SELECT position, last_recorded_at FROM projection_checkpoints WHERE projection = $1 FOR UPDATE',
    [projection],
  );
  return toCheckpoint(result.rows[0]);
}

/** Moves the checkpoint; with `notify`, also announces it to listeners once the transaction commits. */
export async function writeCheckpoint(
  tx: SqlExecutor,
  projection: string,
  position: Position,
  lastRecordedAt: string,
  eventCount: number,
  notify = false,
): Promise<void> {
  const update = `UPDATE projection_checkpoints
        SET position = $2, last_recorded_at = $3, events_applied = events_applied + $4, updated_at = now()
      WHERE projection = $1`;
  // One round trip for both, because it sits on the path from append to visible read model.
  const sql = notify
    ? `WITH moved AS (${update} RETURNING projection, position) SELECT pg_notify('${CHECKPOINT_CHANNEL}', projection || ':' || position) FROM moved`
    : update;
  await tx.query(sql, [projection, position, lastRecordedAt, eventCount]);
}

/** Returns whether every named projection has processed the log up to `position`. */
export async function checkpointsReached(executor: SqlExecutor, projections: readonly string[], position: Position): Promise<boolean> {
  const result = await executor.query<{ reached: string | number }>(
    `SELECT count(*) AS reached FROM projection_checkpoints
      WHERE projection = ANY($1::text[]) AND position IS NOT NULL AND position >= $2`,
    [projections, position],
  );
  return Number(result.rows[0]?.reached ?? 0) === new Set(projections).size;
}
