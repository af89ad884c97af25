import { Registry, collectDefaultMetrics } from 'prom-client';

/** The service's one Prometheus registry; modules register their metrics on it. */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });
