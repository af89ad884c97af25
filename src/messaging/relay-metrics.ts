import { Counter, Gauge } from 'prom-client';
import { metricsRegistry } from '../infrastructure/metrics';

/** Computes the relay's backlog on demand (at scrape time). */
export interface LagSource {
  measureLag(): Promise<{ events: number; seconds: number }>;
}

const lagSources = new Set<LagSource>();

let lastProbe: { at: number; result: Promise<{ events: number; seconds: number }> } | undefined;

/** Both lag gauges are collected in one scrape: they share one probe per second. */
function largestLag(): Promise<{ events: number; seconds: number }> {
  const now = Date.now();
  if (!lastProbe || now - lastProbe.at > 1000) lastProbe = { at: now, result: probeSources() };
  return lastProbe.result;
}

/** The largest backlog of the registered relays; sources that fail are skipped. */
async function probeSources(): Promise<{ events: number; seconds: number }> {
  let largest = { events: 0, seconds: 0 };
  for (const source of lagSources) {
    try {
      const lag = await source.measureLag();
      if (lag.events > largest.events || lag.seconds > largest.seconds) largest = lag;
    } catch {
      // The database is unreachable: the health check and the relay's own log report it.
    }
  }
  return largest;
}

export const relayMetrics = {
  published: new Counter({
    name: 'ordersvc_relay_published_total',
    help: 'Events the broker confirmed for the relay.',
    registers: [metricsRegistry],
  }),
  failures: new Counter({
    name: 'ordersvc_relay_failures_total',
    help: 'Relay failures by reason (broker, blocked, confirm, mapping, database); each is retried with backoff.',
    labelNames: ['reason'] as const,
    registers: [metricsRegistry],
  }),
  active: new Gauge({
    name: 'ordersvc_relay_active',
    help: '1 while this instance holds the relay lease and publishes, else 0.',
    registers: [metricsRegistry],
  }),
  lagEvents: new Gauge({
    name: 'ordersvc_relay_lag_events',
    help: 'Events in the log after the relay checkpoint (counted up to 10000).',
    registers: [metricsRegistry],
    async collect() {
      this.set((await largestLag()).events);
    },
  }),
  lagSeconds: new Gauge({
    name: 'ordersvc_relay_lag_seconds',
    help: 'Age in seconds of the oldest event not yet confirmed by the broker (0 when caught up).',
    registers: [metricsRegistry],
    async collect() {
      this.set((await largestLag()).seconds);
    },
  }),
  registerLagSource(source: LagSource): void {
    lagSources.add(source);
  },
  unregisterLagSource(source: LagSource): void {
    lagSources.delete(source);
  },
};
