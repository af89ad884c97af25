export { ProjectionsWorker, allProjections, projectionMigrations, type ProjectionsWorkerDeps } from './worker';
export { ProjectionRunner, commitBatch, type RunnerOptions, type RunnerStatus } from './runner';
export { CheckpointWatcher } from './read-your-writes';
export { ordersProjection } from './orders/projection';
export { statisticsProjection } from './statistics/projection';
export type { Projection, ChangedOrder } from './projection';
