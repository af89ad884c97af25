import { Counter, Gauge, Histogram } from 'prom-client';
import { metricsRegistry } from '../src/infrastructure/metrics';

const labelNames = ['projection'] as const;

/** Prometheus metrics of the projection runners, one series per projection. */
export const projectionMetrics = {
  eventsApplied: new Counter({
    name: 'ordersvc_projection_events_applied_total',
    help: 'Events of the global log a projection has applied and checkpointed',
    labelNames,
    registers: [metricsRegistry],
  }),
  batchSeconds: new Histogram({
    name: 'ordersvc_projection_batch_duration_seconds',
    help: 'Time to apply one batch and commit it with its checkpoint',
    labelNames,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [metricsRegistry],
  }),
  failures: new Counter({
    name: 'ordersvc_projection_failures_total',
    help: 'Failed attempts to apply an event; the projection stays at that event until it succeeds',
    labelNames,
    registers: [metricsRegistry],
  }),
  failing: new Gauge({
    name: 'ordersvc_projection_failing',
    help: '1 while a projection is stopped at an event its handler fails on, else 0',
    labelNames,
    registers: [metricsRegistry],
  }),
  position: new Gauge({
    name: 'ordersvc_projection_position_info',
    help: 'Global log position a projection has reached, as the label `position` (value always 1)',
    labelNames: ['projection', 'position'] as const,
    registers: [metricsRegistry],
  }),
  lagEvents: new Gauge({
    name: 'ordersvc_projection_lag_events',
    help: 'Events in the log after the projection checkpoint (counted up to a cap)',
    labelNames,
    registers: [metricsRegistry],
  }),
  lagSeconds: new Gauge({
    name: 'ordersvc_projection_lag_seconds',
    help: 'Age of the oldest event the projection has not applied yet; 0 when caught up',
    labelNames,
    registers: [metricsRegistry],
  }),
  leader: new Gauge({
    name: 'ordersvc_projection_leader',
    help: '1 while this instance holds the projection lock and runs it, else 0',
    labelNames,
    registers: [metricsRegistry],
  }),
};
