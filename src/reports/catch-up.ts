import type { Projection } from '../../projections/projection';
import { ProjectionsWorker, allProjections, projectionMigrations } from '../../projections/worker';
import { comparePositions, type EventStore, type Position } from '../eventstore/port';
import type { SqlDatabase } from '../infrastructure/database';
import { migrate } from '../infrastructure/migrations';

// Times the head is read again after catching up, when no position was given.
const MAX_HEAD_ROUNDS = 5;

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

  const target = options.until !== undefined ? options.until : await store.headPosition();
  if (target === null) return { caughtUp: true, durationMs: Date.now() - started };

  const names = projections.map((projection) => projection.name);
  const worker = new ProjectionsWorker({ db, store, projections, lagSampleMs: 3_600_000 });
  await worker.start();
  try {
    let reached = target;
    let caughtUp = await worker.waitForPosition(reached, names, options.timeoutMs);

    // Without a given position, follow the head while it moves: events committed by transactions
    // that were still open elsewhere become visible after the first read of the head.
    for (let round = 0; options.until === undefined && caughtUp && round < MAX_HEAD_ROUNDS; round += 1) {
      const head = await store.headPosition();
      if (head === null || comparePositions(head, reached) <= 0) break;
      reached = head;
      caughtUp = await worker.waitForPosition(reached, names, Math.max(options.timeoutMs - (Date.now() - started), 0));
    }
    return { caughtUp, durationMs: Date.now() - started };
  } finally {
    await worker.stop();
  }
}
