import type { EventStore, Position } from '../src/eventstore/port';
import type { SqlDatabase } from '../src/infrastructure/database';
import type { BackgroundWorker, HealthCheck, HealthStatus } from '../src/infrastructure/health';
import { componentLogger, errorFields } from '../src/infrastructure/logger';
import type { Migration } from '../src/infrastructure/migrations';
import { cacheInvalidationHook, type OrderCache } from './cache';
import { checkpointMigrations, readCheckpoint } from './checkpoints';
import { projectionMetrics } from './metrics';
import { ordersProjection } from './orders/projection';
import type { Projection } from './projection';
import { CheckpointWatcher } from './read-your-writes';
import { ProjectionRunner, type RunnerOptions } from './runner';
import { statisticsProjection } from './statistics/projection';

const log = componentLogger('projections');

/** Every read model of the service, in the order their migrations run. */
export const allProjections: readonly Projection[] = [ordersProjection, statisticsProjection];

/** Migrations to register with the service: the checkpoint table, then each projection's tables. */
export const projectionMigrations: readonly Migration[] = [
  ...checkpointMigrations,
  ...allProjections.flatMap((projection) => projection.migrations),
];

// Lag is counted by reading the log after the checkpoint, up to this many events.
const LAG_COUNT_CAP = 10_000;

export interface ProjectionsWorkerDeps {
  db: SqlDatabase;
  store: EventStore;
  projections?: readonly Projection[];
  runnerOptions?: RunnerOptions;
  /** Redis cache of order responses whose entries the orders projection invalidates. */
  cache?: OrderCache;
  /** How often the lag gauges are refreshed. */
  lagSampleMs?: number;
}

/**
 * Runs one ProjectionRunner per projection. Each runner takes its
 * projection's lock independently, so with several instances the projections
 * may spread over them; a failing projection never stops the others.
 */
export class ProjectionsWorker implements BackgroundWorker {
  readonly name = 'projections';
  readonly runners: ProjectionRunner[];
  private readonly watcher: CheckpointWatcher;
  private lagTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: ProjectionsWorkerDeps) {
    const projections = deps.projections ?? allProjections;
    const runnerOptions: RunnerOptions = { ...deps.runnerOptions };
    if (deps.cache) runnerOptions.beforeCommit = cacheInvalidationHook(deps.cache);
    this.runners = projections.map((projection) => new ProjectionRunner(deps.db, deps.store, projection, runnerOptions));
    this.watcher = new CheckpointWatcher(deps.db);
  }

  async start(): Promise<void> {
    for (const runner of this.runners) runner.start();
    const every = this.deps.lagSampleMs ?? 10_000;
    this.lagTimer = setInterval(() => void this.sampleLag(), every);
    this.lagTimer.unref();
    log.info('projections started', { projections: this.runners.map((runner) => runner.name) });
  }

  async stop(): Promise<void> {
    if (this.lagTimer) clearInterval(this.lagTimer);
    await Promise.all(this.runners.map((runner) => runner.stop()));
    await this.watcher.close();
    log.info('projections stopped');
  }

  /** Resolves true once the named projections processed `position`; false after `timeoutMs`. */
  waitForPosition(position: Position, projections: readonly string[], timeoutMs: number): Promise<boolean> {
    return this.watcher.waitForPosition(position, projections, timeoutMs);
  }

  /** Returns one health check per projection. A failing projection reports `degraded`, which does not fail readiness. */
  healthChecks(): HealthCheck[] {
    return this.runners.map((runner) => ({
      name: `projection:${runner.name}`,
      required: false,
      check: async () => runnerHealth(runner),
    }));
  }

  /** Refreshes the lag gauges: events after each checkpoint (capped) and the age of the oldest one. */
  async sampleLag(): Promise<void> {
    for (const runner of this.runners) {
      try {
        const checkpoint = await readCheckpoint(this.deps.db, runner.name);
        const pending = await this.deps.store.readAll(checkpoint.position, LAG_COUNT_CAP);
        const oldest = pending[0];
        const seconds = oldest ? Math.max(0, (Date.now() - Date.parse(oldest.recordedAt)) / 1000) : 0;
        projectionMetrics.lagEvents.set({ projection: runner.name }, pending.length);
        projectionMetrics.lagSeconds.set({ projection: runner.name }, seconds);
      } catch (error) {
        log.warn('projection lag sampling failed', { projection: runner.name, ...errorFields(error) });
      }
    }
  }
}

function runnerHealth(runner: ProjectionRunner): HealthStatus {
  const status = runner.status();
  switch (status.state) {
    case 'running':
      return { status: 'up', detail: `at position ${status.position ?? 'start'}` };
    case 'standby':
      return { status: 'up', detail: 'standby: another instance holds the projection lock' };
    case 'failing': {
      const failure = status.failure;
      return {
        status: 'degraded',
        detail: failure
          ? `stopped at ${failure.type} ${failure.eventId} (position ${failure.position}) after ${failure.attempts} attempts; see the log for the error`
          : 'stopped at a failing event',
      };
    }
    case 'stopped':
      return { status: 'down', detail: 'projection runner is stopped' };
  }
}
