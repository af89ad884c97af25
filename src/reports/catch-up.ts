import type { Projection } from '../../projections/projection';
import { ProjectionsWorker, allProjections, projectionMigrations } from '../../projections/worker';
import type { EventStore, Position } from '../eventstore/port';
import type { SqlDatabase } from '../infrastructure/database';
import { migrate } from '../infrastructure/migrations';

export interface CatchUpResult {
  /** Whether every projection processed the log up to its head within the time allowed. */
  caughtUp: boolean;
  durationMs: number;
}

/**
 * Brings read models up to `until`, or to the log's head when no position is
 * given: runs the projection runners until their checkpoints reach it, then
 * stops them. When a running service instance holds a projection's lock, that
 * instance does the work and this only waits for it. After `timeoutMs` the
 * caller gets `caughtUp: false`.
 *
 * NOTE: the head is the last event readers can see, which excludes events
 * above the oldest transaction still open anywhere on the server. A writer
 * that needs its own events projected passes the position of its last append.
 */
export async function catchUpProjections(
  db: SqlDatabase,
  store: EventStore,
  options: { projections?: readonly Projection[]; timeoutMs: number; until?: Position | null },
): Promise<CatchUpResult> {
  const started = Date.now();
  const projections = options.projections ?? allProjections;
  await migrate(db, projectionMigrations);

  const head = options.until !== undefined ? options.until : await store.headPosition();
  if (head === null) return { caughtUp: true, durationMs: Date.now() - started };

  const worker = new ProjectionsWorker({ db, store, projections, lagSampleMs: 3_600_000 });
  await worker.start();
  try {
    const caughtUp = await worker.waitForPosition(
      head,
      projections.map((projection) => projection.name),
      options.timeoutMs,
    );
    return { caughtUp, durationMs: Date.now() - started };
  } finally {
    await worker.stop();
  }
}
