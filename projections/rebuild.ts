import { randomBytes } from 'node:crypto';
import type { EventStore, Position, RecordedEvent } from '../src/eventstore/port';
import { quoteIdentifier, type SqlDatabase, type SqlExecutor } from '../src/infrastructure/database';
import { componentLogger } from '../src/infrastructure/logger';
import { splitStatements } from '../src/infrastructure/migrations';
import { CHECKPOINT_CHANNEL, checkpointTableSql, ensureCheckpoint, writeCheckpoint } from './checkpoints';
import { foldBatch, tableStateLoader, type FoldedOrder, type StoredOrderState } from './order-fold';
import { isOrderStateProjection, type OrderStateProjection, type Projection } from './projection';

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

/**
 * Creates `schema` with the checkpoint table and the projections' tables, all
 * in one transaction. Secondary indexes are dropped again and their
 * definitions returned: loading into unindexed tables and indexing once at
 * the end is much faster than keeping the indexes up to date row by row.
 */
async function createSchemaTables(db: SqlDatabase, schema: string, projections: readonly Projection[]): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
    await tx.query(`SET LOCAL search_path TO ${quoteIdentifier(schema)}`);
    for (const statement of splitStatements(checkpointTableSql)) await tx.query(statement);
    for (const projection of projections) {
      for (const migration of projection.migrations) {
        for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      }
      await ensureCheckpoint(tx, projection.name);
    }

    const tables = projections.flatMap((projection) => projection.tables);
    const indexes = await tx.query<{ indexname: string; indexdef: string }>(
      `SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = $1 AND i.tablename = ANY($2::text[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.connamespace = $1::regnamespace)`,
      [schema, tables],
    );
    for (const index of indexes.rows) await tx.query(`DROP INDEX ${quoteIdentifier(schema)}.${quoteIdentifier(index.indexname)}`);
    return indexes.rows.map((index) => index.indexdef);
  });
}

/** Recreates the secondary indexes dropped by createSchemaTables; their definitions name the schema. */
async function createIndexes(db: SqlDatabase, definitions: readonly string[]): Promise<void> {
  for (const definition of definitions) await db.exec(definition);
}

/** Orders folded in memory before they are written; also the checkpoint interval of a rebuild. */
const FLUSH_ORDERS = 5_000;
// Above this many orders in memory, states are dropped after a flush and reloaded from the tables on demand.
const MAX_CACHED_STATES = 200_000;

/**
 * Builds projections into `schema`. Projections of whole orders share one
 * in-memory fold per batch. Their changed orders are written with multi-row
 * upserts, together with the checkpoints, every FLUSH_ORDERS orders. Other
 * projections get each batch through `applyBatch`. The schema is private to
 * the build, so nothing else writes these tables.
 */
class SchemaBuilder {
  private readonly stateProjections: OrderStateProjection[];
  private readonly otherProjections: Projection[];
  private readonly states = new Map<string, StoredOrderState>();
  private dirty = new Map<string, FoldedOrder>();
  private pending: { position: Position; recordedAt: string; events: number } | undefined;
  /** Set once states were dropped from memory: from then on a missing state may be in the table. */
  private evicted = false;
  private writing: Promise<void> | undefined;
  private writeError: unknown;

  constructor(
    private readonly db: SqlDatabase,
    private readonly schema: string,
    projections: readonly Projection[],
  ) {
    this.stateProjections = projections.filter(isOrderStateProjection);
    this.otherProjections = projections.filter((projection) => !isOrderStateProjection(projection));
  }

  /** Applies a batch read from the log; `kept` are the events to apply, `read` all events read (for the checkpoint). */
  async apply(read: readonly RecordedEvent[], kept: readonly RecordedEvent[], tx?: SqlExecutor): Promise<void> {
    if (read.length === 0) return;
    const last = read[read.length - 1];
    if (this.otherProjections.length > 0 && kept.length > 0) {
      const work = async (executor: SqlExecutor) => {
        await executor.query(`SET LOCAL search_path TO ${quoteIdentifier(this.schema)}`);
        for (const projection of this.otherProjections) {
          await projection.applyBatch(executor, kept);
          await writeCheckpoint(executor, projection.name, last.position, last.recordedAt, read.length);
        }
      };
      if (tx) await work(tx);
      else await this.db.transaction(work);
    }
    if (this.stateProjections.length > 0) {
      for (const order of await foldBatch(kept, (ids) => this.loadStates(ids))) {
        this.states.set(order.orderId, { revision: order.revision, state: order.state });
        this.dirty.set(order.orderId, order);
      }
      this.pending = { position: last.position, recordedAt: last.recordedAt, events: (this.pending?.events ?? 0) + read.length };
      if (this.dirty.size >= FLUSH_ORDERS) await this.startFlush(tx);
    }
  }

  /**
   * Starts writing the changed orders. Outside a caller's transaction the
   * write runs while the next batches are read and folded, one write at a
   * time so that checkpoints commit in log order.
   */
  private async startFlush(tx?: SqlExecutor): Promise<void> {
    if (tx) return this.flush(tx);
    await this.waitForWrite();
    const { orders, pending } = this.takeDirty();
    if (!pending) return;
    if (this.states.size > MAX_CACHED_STATES) {
      // Everything must be in the tables before states leave memory.
      await this.write(orders, pending);
      this.states.clear();
      this.evicted = true;
      return;
    }
    this.writing = this.write(orders, pending).catch((error: unknown) => {
      this.writeError = error;
    });
  }

  /** Writes every changed order not yet written, and waits until all writes committed. */
  async flush(tx?: SqlExecutor): Promise<void> {
    await this.waitForWrite();
    const { orders, pending } = this.takeDirty();
    if (pending) await this.write(orders, pending, tx);
  }

  private async waitForWrite(): Promise<void> {
    await this.writing;
    this.writing = undefined;
    if (this.writeError !== undefined) throw this.writeError;
  }

  private takeDirty(): { orders: FoldedOrder[]; pending: SchemaBuilder['pending'] } {
    const taken = { orders: [...this.dirty.values()], pending: this.pending };
    this.dirty = new Map();
    this.pending = undefined;
    return taken;
  }

  /** Writes orders to every order projection, with their checkpoints, in one transaction. */
  private async write(orders: FoldedOrder[], pending: NonNullable<SchemaBuilder['pending']>, tx?: SqlExecutor): Promise<void> {
    const work = async (executor: SqlExecutor) => {
      await executor.query(`SET LOCAL search_path TO ${quoteIdentifier(this.schema)}`);
      for (const projection of this.stateProjections) {
        await projection.writeOrders(executor, orders);
        await writeCheckpoint(executor, projection.name, pending.position, pending.recordedAt, pending.events);
      }
    };
    if (tx) await work(tx);
    else await this.db.transaction(work);
  }

  private async loadStates(orderIds: readonly string[]): Promise<Map<string, StoredOrderState>> {
    const found = new Map<string, StoredOrderState>();
    const missing: string[] = [];
    for (const id of orderIds) {
      const known = this.states.get(id);
      if (known) found.set(id, known);
      else missing.push(id);
    }
    // Every state dropped from memory was flushed first, so the table has it.
    if (missing.length > 0 && this.evicted) {
      const table = `${quoteIdentifier(this.schema)}.${quoteIdentifier(this.stateProjections[0].stateTable)}`;
      const loaded = await tableStateLoader((sql, params) => this.db.query(sql, params), table)(missing);
      for (const [id, state] of loaded) found.set(id, state);
    }
    return found;
  }
}

/**
 * Reads the log from `after` to its current head into the builder, then
 * flushes. `filter` may drop events (as-of builds).
 */
async function buildUntilHead(
  options: RebuildOptions,
  builder: SchemaBuilder,
  after: Position | null,
  progress: RebuildProgress,
  filter: (events: readonly RecordedEvent[]) => RecordedEvent[] = (events) => [...events],
): Promise<Position | null> {
  const batchSize = options.batchSize ?? 2_000;
  let position = after;
  let next = options.store.readAll(position, batchSize);
  for (;;) {
    if (options.signal?.aborted) throw new Error('Rebuild aborted');
    const events = await next;
    if (events.length === 0) break;
    position = events[events.length - 1].position;
    // Read the next batch while this one is folded and written.
    next = options.store.readAll(position, batchSize);
    next.catch(() => undefined);
    await builder.apply(events, filter(events));
    progress.events += events.length;
    progress.position = position;
    options.onProgress?.({ ...progress });
  }
  await builder.flush();
  return position;
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
  const indexes = await createSchemaTables(options.db, schema, options.projections);
  log.info('projection rebuild started', { schema, projections: options.projections.map((p) => p.name) });

  const progress: RebuildProgress = { events: 0, position: null };
  try {
    const builder = new SchemaBuilder(options.db, schema, options.projections);
    let position = await buildUntilHead(options, builder, null, progress);
    await createIndexes(options.db, indexes);
    position = await swapIn(options, builder, schema, liveSchema, position, progress);
    log.info('projection rebuild swapped in', { events: progress.events, position });
    return { events: progress.events, position, seconds: (Date.now() - started) / 1000, schema: liveSchema };
  } catch (error) {
    await options.db.exec(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`).catch(() => undefined);
    throw error;
  }
}

async function swapIn(
  options: RebuildOptions,
  builder: SchemaBuilder,
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
      await builder.apply(events, events, tx);
      position = events[events.length - 1].position;
      progress.events += events.length;
      progress.position = position;
      options.onProgress?.({ ...progress });
    }
    await builder.flush(tx);

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
 * first one whose `occurredAt` is after `until`. Later events of that order
 * are left out even if dated earlier, so every order is a prefix of its
 * history. The schema also gets `snapshot_info`, which records the time and
 * the log position it was built from.
 */
export async function buildAsOf(options: RebuildOptions & { schema: string; until: string }): Promise<RebuildResult> {
  const started = Date.now();
  const exists = await options.db.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [options.schema]);
  if (exists.rows.length > 0) throw new SchemaExistsError(options.schema);
  const indexes = await createSchemaTables(options.db, options.schema, options.projections);

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
  const builder = new SchemaBuilder(options.db, options.schema, options.projections);
  const position = await buildUntilHead(options, builder, null, progress, keepUntil);
  await createIndexes(options.db, indexes);
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
