import { Counter, Gauge, Histogram } from 'prom-client';
import { metricsRegistry } from '../../infrastructure/metrics';

/** Metrics of the calls to ProductSvc, PaymentSvc and UserSvc, shared by every client instance. */
export const externalCallDuration = new Histogram({
  name: 'ordersvc_external_call_duration_seconds',
  help: 'Duration of calls to other services, retries included, by service, operation and outcome',
  labelNames: ['service', 'operation', 'outcome'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});

export const externalCallRetries = new Counter({
  name: 'ordersvc_external_call_retries_total',
  help: 'Retries of calls to other services after a transient failure',
  labelNames: ['service', 'operation'] as const,
  registers: [metricsRegistry],
});

export const circuitBreakerState = new Gauge({
  name: 'ordersvc_circuit_breaker_state',
  help: 'Circuit breaker state per service: 0 closed, 1 half-open, 2 open',
  labelNames: ['service'] as const,
  registers: [metricsRegistry],
});

export const circuitBreakerTransitions = new Counter({
  name: 'ordersvc_circuit_breaker_transitions_total',
  help: 'Circuit breaker state changes per service and new state',
  labelNames: ['service', 'state'] as const,
  registers: [metricsRegistry],
});

export const circuitBreakerRejections = new Counter({
  name: 'ordersvc_circuit_breaker_rejections_total',
  help: 'Calls failed fast because the service circuit was open',
  labelNames: ['service'] as const,
  registers: [metricsRegistry],
});

export const bulkheadRejections = new Counter({
  name: 'ordersvc_bulkhead_rejections_total',
  help: 'Calls rejected because too many calls to the service were running or queued',
  labelNames: ['service'] as const,
  registers: [metricsRegistry],
});
