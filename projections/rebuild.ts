import { randomBytes } from 'node:crypto';
import type { EventStore, Position, RecordedEvent } from '../src/eventstore/port';
import { quoteIdentifier, type SqlDatabase, type SqlExecutor } from '../src/infrastructure/database';
import { componentLogger } from '../src/infrastructure/logger';
import { splitStatements } from '../src/infrastructure/migrations';
import { CHECKPOINT_CHANNEL, checkpointTableSql, ensureCheckpoint, writeCheckpoint } from './checkpoints';
import type { Projection } from './projection';

const log = componentLogger('projections-rebuild');

export interface RebuildProgress {
  /** Events read from the log so far, applied or skipped. */
  events: number;
  position: Position | null;
}

export interface RebuildOptions {
  db: SqlDatabase;
  store: EventStore;
  projections: readonly Projection[];
  batchSize?: number;
  onProgress?: (progress: RebuildProgress) => void;
  signal?: AbortSignal;
}

export interface RebuildResult {
  events: number;
  position: Position | null;
  seconds: number;
  schema: string;
}

export const schemaNamePattern = /^[a-z_][a-z0-9_]{0,62}$/;

/** Creates `schema` with the checkpoint table and the projections' tables, all in one transaction. */
async function createSchemaTables(db: SqlDatabase, schema: string, projections: readonly Projection[]): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
    await tx.query(`SET LOCAL search_path TO ${quoteIdentifier(schema)}`);
    for (const statement of splitStatements(checkpointTableSql)) await tx.query(statement);
    for (const projection of projections) {
      for (const migration of projection.migrations) {
        for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      }
      await ensureCheckpoint(tx, projection.name);
    }
  });
}

/** Applies one batch to every projection's tables in `schema` and moves their checkpoints, in the caller's transaction. */
async function applyToSchema(tx: SqlExecutor, schema: string, projections: readonly Projection[], events: readonly RecordedEvent[]): Promise<void> {
  if (events.length === 0) return;
  const last = events[events.length - 1];
  await tx.query(`SET LOCAL search_path TO ${quoteIdentifier(schema)}`);
  for (const projection of projections) {
    await projection.applyBatch(tx, events);
    await writeCheckpoint(tx, projection.name, last.position, last.recordedAt, events.length);
  }
}

/**
 * Reads the log from `after` to its current head, applying each batch to
 * `schema` in its own transaction. `filter` may drop events (as-of builds).
 */
async function buildUntilHead(
  options: RebuildOptions,
  schema: string,
  after: Position | null,
  progress: RebuildProgress,
  filter: (events: readonly RecordedEvent[]) => RecordedEvent[] = (events) => [...events],
): Promise<Position | null> {
  const batchSize = options.batchSize ?? 2_000;
  let position = after;
  for (;;) {
    if (options.signal?.aborted) throw new Error('Rebuild aborted');
    const events = await options.store.readAll(position, batchSize);
    if (events.length === 0) return position;
    const kept = filter(events);
    await options.db.transaction((tx) => applyToSchema(tx, schema, options.projections, kept));
    position = events[events.length - 1].position;
    progress.events += events.length;
    progress.position = position;
    options.onProgress?.({ ...progress });
  }
}

/**
 * Rebuilds projections from the start of the log into fresh tables in a new
 * schema, then swaps them in for the live tables in one transaction, once
 * caught up. The swap locks the live checkpoints first, so a live runner
 * waits, then applies whatever arrived meanwhile, replaces the tables and
 * moves the live checkpoints to the rebuilt position. A live runner then finds
 * its checkpoint moved, reloads it and continues on the new tables.
 */
export async function rebuildAndSwap(options: RebuildOptions): Promise<RebuildResult> {
  const started = Date.now();
  const schema = `projections_rebuild_${randomBytes(4).toString('hex')}`;
  const liveSchema = (await options.db.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0].schema;
  await createSchemaTables(options.db, schema, options.projections);
  log.info('projection rebuild started', { schema, projections: options.projections.map((p) => p.name) });

  const progress: RebuildProgress = { events: 0, position: null };
  try {
    let position = await buildUntilHead(options, schema, null, progress);
    position = await swapIn(options, schema, liveSchema, position, progress);
    log.info('projection rebuild swapped in', { events: progress.events, position });
    return { events: progress.events, position, seconds: (Date.now() - started) / 1000, schema: liveSchema };
  } catch (error) {
    await options.db.exec(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`).catch(() => undefined);
    throw error;
  }
}

async function swapIn(
  options: RebuildOptions,
  schema: string,
  liveSchema: string,
  rebuiltAt: Position | null,
  progress: RebuildProgress,
): Promise<Position | null> {
  const names = options.projections.map((projection) => projection.name);
  const live = quoteIdentifier(liveSchema);
  const rebuilt = quoteIdentifier(schema);
  return options.db.transaction(async (tx) => {
    // 1. Stop live runners: they lock their checkpoint row first in every batch.
    for (const name of names) await ensureCheckpoint(tx, name);
    await tx.query(`SELECT projection FROM ${live}.projection_checkpoints WHERE projection = ANY($1::text[]) FOR UPDATE`, [names]);

    // 2. Apply what was appended since the rebuild caught up. PGlite has one
    // connection, so no one else can append, and reading the log inside this
    // transaction would wait for the transaction itself.
    let position = rebuiltAt;
    while (options.db.kind === 'postgres') {
      const events = await options.store.readAll(position, options.batchSize ?? 2_000);
      if (events.length === 0) break;
      await applyToSchema(tx, schema, options.projections, events);
      position = events[events.length - 1].position;
      progress.events += events.length;
      progress.position = position;
      options.onProgress?.({ ...progress });
    }

    // 3. Replace the tables and move the live checkpoints.
    for (const projection of options.projections) {
      for (const table of projection.tables) {
        await tx.query(`DROP TABLE IF EXISTS ${live}.${quoteIdentifier(table)}`);
        await tx.query(`ALTER TABLE ${rebuilt}.${quoteIdentifier(table)} SET SCHEMA ${live}`);
      }
    }
    await tx.query(
      `UPDATE ${live}.projection_checkpoints AS l
          SET position = r.position, last_recorded_at = r.last_recorded_at, events_applied = r.events_applied, updated_at = now()
         FROM ${rebuilt}.projection_checkpoints AS r
        WHERE l.projection = r.projection AND l.projection = ANY($1::text[])`,
      [names],
    );
    for (const name of names) await tx.query('SELECT pg_notify($1, $2)', [CHECKPOINT_CHANNEL, `${name}:${position ?? ''}`]);
    await tx.query(`DROP SCHEMA ${rebuilt} CASCADE`);
    return position;
  });
}

/**
 * Builds projections as of a past business time into `schema`, leaving the
 * live read models alone. Each order keeps the events of its stream up to the
 * first one whose `occurredAt` is after `until`; later events of that order
 * are left out even if dated earlier, so every order is a true prefix of its
 * history. The schema also gets `snapshot_info` saying what it holds.
 */
export async function buildAsOf(options: RebuildOptions & { schema: string; until: string }): Promise<RebuildResult> {
  const started = Date.now();
  const exists = await options.db.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [options.schema]);
  if (exists.rows.length > 0) throw new SchemaExistsError(options.schema);
  await createSchemaTables(options.db, options.schema, options.projections);

  const untilMs = Date.parse(options.until);
  const cutStreams = new Set<string>();
  const keepUntil = (events: readonly RecordedEvent[]) =>
    events.filter((event) => {
      if (cutStreams.has(event.streamId)) return false;
      if (Date.parse(event.metadata.occurredAt) > untilMs) {
        cutStreams.add(event.streamId);
        return false;
      }
      return true;
    });

  const progress: RebuildProgress = { events: 0, position: null };
  const position = await buildUntilHead(options, options.schema, null, progress, keepUntil);
  const info = `${quoteIdentifier(options.schema)}.snapshot_info`;
  await options.db.transaction(async (tx) => {
    await tx.query(`CREATE TABLE ${info} (until timestamptz NOT NULL, built_at timestamptz NOT NULL, log_position text, projections text[] NOT NULL)`);
    await tx.query(`INSERT INTO ${info} VALUES ($1, now(), $2, $3)`, [
      options.until,
      position,
      options.projections.map((projection) => projection.name),
    ]);
  });
  return { events: progress.events, position, seconds: (Date.now() - started) / 1000, schema: options.schema };
}

export class SchemaExistsError extends Error {
  constructor(readonly schema: string) {
    super(`Schema ${schema} already exists`);
    this.name = 'SchemaExistsError';
  }
}
