import { Counter, Gauge, Histogram } from 'prom-client';
import { metricsRegistry } from '../infrastructure/metrics';

/** How an append ended, as the `result` label of the append metrics. */
export type AppendOutcome = 'appended' | 'duplicate' | 'conflict' | 'too_large' | 'unavailable' | 'error';

const appendsTotal = new Counter({
  name: 'ordersvc_eventstore_appends_total',
  help: 'Appends to the event store, by result',
  labelNames: ['result'] as const,
  registers: [metricsRegistry],
});

const appendDuration = new Histogram({
  name: 'ordersvc_eventstore_append_duration_seconds',
  help: 'Time an append to the event store takes, in seconds, by result',
  labelNames: ['result'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [metricsRegistry],
});

/** Records one append; `startedAt` comes from `process.hrtime.bigint()`. */
export function recordAppend(outcome: AppendOutcome, startedAt: bigint): void {
  const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  appendsTotal.inc({ result: outcome });
  appendDuration.observe({ result: outcome }, seconds);
}

/** A store that can say how long global-log readers have been held back, in seconds. */
export interface VisibilityWaitSource {
  pendingTransactionAgeSeconds(): Promise<number>;
}

const visibilitySources = new Set<VisibilityWaitSource>();

// Computed at scrape time from every open store; the largest value wins.
new Gauge({
  name: 'ordersvc_eventstore_oldest_pending_transaction_age_seconds',
  help:
    'Age in seconds of the oldest open transaction that keeps committed events hidden from global-log readers; 0 when none is',
  registers: [metricsRegistry],
  async collect() {
    let oldest = 0;
    for (const source of visibilitySources) {
      oldest = Math.max(oldest, await source.pendingTransactionAgeSeconds().catch(() => 0));
    }
    this.set(oldest);
  },
});

/** Adds a store to the pending-transaction gauge; the returned function removes it. */
export function trackVisibilityWait(source: VisibilityWaitSource): () => void {
  visibilitySources.add(source);
  return () => visibilitySources.delete(source);
}
