import CircuitBreaker from 'opossum';
import { AppError } from '../../infrastructure/errors';
import type { HealthCheck, HealthStatus } from '../../infrastructure/health';
import { componentLogger, errorFields } from '../../infrastructure/logger';
import { currentContext } from '../../infrastructure/request-context';
import { ServiceUnavailableError } from '../ports';
import { Bulkhead, BulkheadRejectedError } from './bulkhead';
import {
  bulkheadRejections,
  circuitBreakerRejections,
  circuitBreakerState,
  circuitBreakerTransitions,
  externalCallDuration,
  externalCallRetries,
} from './metrics';

const log = componentLogger('service-client');

export type ServiceName = 'ProductSvc' | 'PaymentSvc' | 'UserSvc';

export interface ResilienceOptions {
  /** Time limit of one attempt (`EXTERNAL_CALL_TIMEOUT`). */
  timeoutMs: number;
  /** Attempts of one call, the first included. */
  maxAttempts: number;
  /** First backoff delay; each retry doubles it up to `maxDelayMs`, and jitter picks a value between half and all of it. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A `Retry-After` longer than this ends the call at once with that hint instead of waiting. */
  maxRetryAfterMs: number;
  /** Calls in the rolling window before the circuit may open. */
  volumeThreshold: number;
  /** Failure percentage in the rolling window above which the circuit opens. */
  errorThresholdPercentage: number;
  /** Time the circuit stays open before one trial call is let through. */
  resetTimeoutMs: number;
  rollingWindowMs: number;
  maxConcurrent: number;
  maxQueue: number;
  /** Source of jitter in [0, 1). */
  random: () => number;
}

export const defaultResilienceOptions: ResilienceOptions = {
  timeoutMs: 2_000,
  maxAttempts: 3,
  baseDelayMs: 100,
  maxDelayMs: 2_000,
  maxRetryAfterMs: 5_000,
  volumeThreshold: 5,
  errorThresholdPercentage: 50,
  resetTimeoutMs: 10_000,
  rollingWindowMs: 10_000,
  maxConcurrent: 10,
  maxQueue: 50,
  random: Math.random,
};

export interface ServiceRequest {
  /** Stable name for logs and metrics, e.g. `reserveStock`. */
  operation: string;
  method: 'GET' | 'POST';
  /** Path relative to the service's base URL, with its segments already encoded. */
  path: string;
  body?: unknown;
  /** Sent as `Idempotency-Key`; every retry of this call sends the same one. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export interface ServiceResponse {
  status: number;
  body: unknown;
}

/**
 * A 4xx response: the service rejected the request itself. It is not retried
 * and does not count as a failure of the service. The adapters turn the
 * statuses the contract defines (404, 409, 422, …) into results; any other
 * reaches the client as 502 EXTERNAL_REQUEST_REJECTED.
 */
export class ClientHttpError extends AppError {
  constructor(
    readonly service: ServiceName,
    readonly httpStatus: number,
    readonly body: unknown,
  ) {
    super('EXTERNAL_REQUEST_REJECTED', 502, { service, status: httpStatus });
    this.name = 'ClientHttpError';
  }
}

/** A failure that a later attempt may not meet: a network error, a timeout, 502, 503, 504 or 429. */
class TransientFailure extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'TransientFailure';
  }
}

/** A failure of the service that retrying will not fix: 500, 501, or a body that does not match the contract. */
class ServiceFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceFailure';
  }
}

/** The caller gave up (its AbortSignal fired); the service is not to blame. */
class CallerAborted extends Error {
  constructor() {
    super('The caller aborted the call');
    this.name = 'CallerAborted';
  }
}

const TRANSIENT_STATUSES = new Set([429, 502, 503, 504]);

/**
 * HTTP client for one service with the resilience every call needs: a time
 * limit per attempt, retries with exponential backoff and jitter for transient
 * failures only, one opossum circuit breaker, and a bulkhead.
 *
 * `request` resolves with what `parse` makes of a 2xx response. It throws
 * ClientHttpError for a 4xx response and ServiceUnavailableError for
 * everything else (down, timed out, open circuit, full bulkhead).
 */
export class ServiceClient {
  private readonly options: ResilienceOptions;
  private readonly breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;
  private readonly bulkhead: Bulkhead;
  private openedAt = 0;

  constructor(
    readonly service: ServiceName,
    private readonly baseUrl: string,
    options: Partial<ResilienceOptions> = {},
  ) {
    this.options = { ...defaultResilienceOptions, ...options };
    this.bulkhead = new Bulkhead(this.options.maxConcurrent, this.options.maxQueue, this.options.timeoutMs * this.options.maxAttempts);
    this.breaker = new CircuitBreaker((attempt: () => Promise<unknown>) => attempt(), {
      name: service,
      timeout: false,
      volumeThreshold: this.options.volumeThreshold,
      errorThresholdPercentage: this.options.errorThresholdPercentage,
      resetTimeout: this.options.resetTimeoutMs,
      rollingCountTimeout: this.options.rollingWindowMs,
      rollingCountBuckets: 10,
      errorFilter: (error: unknown) => error instanceof ClientHttpError || error instanceof CallerAborted,
    });
    this.watchBreaker();
  }

  /** Current breaker state, as the health check and metrics report it. */
  get circuitState(): 'closed' | 'half_open' | 'open' {
    if (this.breaker.halfOpen) return 'half_open';
    return this.breaker.opened ? 'open' : 'closed';
  }

  async request<T>(request: ServiceRequest, parse: (answer: ServiceResponse) => T): Promise<T> {
    const startedAt = process.hrtime.bigint();
    let outcome = 'error';
    try {
      const result = await this.bulkhead.run(() => this.withRetries(request, parse), request.signal);
      outcome = 'success';
      return result;
    } catch (error) {
      outcome = outcomeOf(error);
      throw this.toCallerError(error, request);
    } finally {
      const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
      externalCallDuration.observe({ service: this.service, operation: request.operation, outcome }, seconds);
    }
  }

  /** Reports the breaker state; an open circuit is `degraded`, since the service degrades rather than stops. */
  healthCheck(): HealthCheck {
    return {
      name: this.service,
      required: false,
      check: async (): Promise<HealthStatus> => {
        const state = this.circuitState;
        return state === 'closed' ? { status: 'up', detail: 'circuit closed' } : { status: 'degraded', detail: `circuit ${state.replace('_', '-')}` };
      },
    };
  }

  /** Stops the breaker's timers; calls after this fail. */
  shutdown(): void {
    this.breaker.shutdown();
  }

  private async withRetries<T>(request: ServiceRequest, parse: (answer: ServiceResponse) => T): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return (await this.breaker.fire(() => this.attempt(request, parse))) as T;
      } catch (error) {
        if (!(error instanceof TransientFailure) || attempt >= this.options.maxAttempts) throw error;

        const delayMs = this.retryDelay(attempt, error.retryAfterMs);
        if (delayMs === undefined) throw error;
        externalCallRetries.inc({ service: this.service, operation: request.operation });
        log.warn('external call failed; retrying', {
          service: this.service,
          operation: request.operation,
          attempt,
          delayMs,
          reason: error.message,
        });
        await sleep(delayMs, request.signal);
      }
    }
  }

  /** One HTTP exchange, run inside the breaker so that its failures count. */
  private async attempt<T>(request: ServiceRequest, parse: (answer: ServiceResponse) => T): Promise<T> {
    if (request.signal?.aborted) throw new CallerAborted();
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;

    let response: Response;
    let text: string;
    try {
      response = await fetch(new URL(request.path.replace(/^\/+/, ''), withTrailingSlash(this.baseUrl)), {
        method: request.method,
        headers: this.headersFor(request),
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal,
      });
      text = await response.text();
    } catch (error) {
      if (request.signal?.aborted) throw new CallerAborted();
      if (timeout.aborted) throw new TransientFailure(`timed out after ${this.options.timeoutMs} ms`);
      throw new TransientFailure(`network error: ${networkCause(error)}`);
    }

    const answer: ServiceResponse = { status: response.status, body: parseBody(text) };
    if (TRANSIENT_STATUSES.has(response.status)) {
      throw new TransientFailure(`returned status ${response.status}`, retryAfterMs(response.headers.get('retry-after')));
    }
    if (response.status >= 500) throw new ServiceFailure(`returned status ${response.status}`);
    if (response.status >= 400) throw new ClientHttpError(this.service, response.status, answer.body);
    if (response.status < 200 || response.status >= 300) throw new ServiceFailure(`returned unexpected status ${response.status}`);

    try {
      return parse(answer);
    } catch (error) {
      throw new ServiceFailure(`response body does not match the contract: ${(error as Error).message}`);
    }
  }

  private headersFor(request: ServiceRequest): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    if (request.idempotencyKey) headers['idempotency-key'] = request.idempotencyKey;
    const correlationId = currentContext()?.correlationId ?? currentContext()?.requestId;
    if (correlationId) headers['x-correlation-id'] = correlationId;
    return headers;
  }

  /** Returns the wait before the next attempt, or undefined when the service asked for a longer pause than the call may take. */
  private retryDelay(attempt: number, retryAfter: number | undefined): number | undefined {
    const ceiling = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (attempt - 1));
    const backoff = Math.round(ceiling / 2 + this.options.random() * (ceiling / 2));
    if (retryAfter === undefined) return backoff;
    if (retryAfter > this.options.maxRetryAfterMs) return undefined;
    return Math.max(retryAfter, backoff);
  }

  private toCallerError(error: unknown, request: ServiceRequest): unknown {
    if (error instanceof ClientHttpError || error instanceof ServiceUnavailableError) return error;
    if (error instanceof CallerAborted || request.signal?.aborted) return request.signal?.reason ?? error;

    const retryAfterSeconds = this.retryAfterSecondsFor(error);
    const reason = this.describeFailure(error);
    log.warn('external call failed', { service: this.service, operation: request.operation, reason, retryAfterSeconds, ...errorFields(error) });
    return new ServiceUnavailableError(this.service, `${this.service} ${request.operation} failed: ${reason}`, retryAfterSeconds);
  }

  private describeFailure(error: unknown): string {
    if (error instanceof BulkheadRejectedError) {
      bulkheadRejections.inc({ service: this.service });
      return `too many calls in flight (${error.reason})`;
    }
    if (isOpenCircuit(error)) return 'circuit open';
    return error instanceof Error ? error.message : String(error);
  }

  private retryAfterSecondsFor(error: unknown): number {
    if (isOpenCircuit(error)) {
      const remainingMs = this.options.resetTimeoutMs - (Date.now() - this.openedAt);
      return Math.max(1, Math.ceil(remainingMs / 1000));
    }
    if (error instanceof TransientFailure && error.retryAfterMs !== undefined) return Math.max(1, Math.ceil(error.retryAfterMs / 1000));
    if (error instanceof BulkheadRejectedError) return 1;
    return Math.max(1, Math.ceil(this.options.resetTimeoutMs / 2000));
  }

  private watchBreaker(): void {
    circuitBreakerState.set({ service: this.service }, 0);
    this.breaker.on('open', () => {
      this.openedAt = Date.now();
      this.recordTransition('open', 2);
      log.warn('circuit opened', { service: this.service, resetTimeoutMs: this.options.resetTimeoutMs });
    });
    this.breaker.on('halfOpen', () => {
      this.recordTransition('half_open', 1);
      log.info('circuit half-open; letting one trial call through', { service: this.service });
    });
    this.breaker.on('close', () => {
      this.recordTransition('closed', 0);
      log.info('circuit closed', { service: this.service });
    });
    this.breaker.on('reject', () => circuitBreakerRejections.inc({ service: this.service }));
  }

  private recordTransition(state: 'open' | 'half_open' | 'closed', value: number): void {
    circuitBreakerState.set({ service: this.service }, value);
    circuitBreakerTransitions.inc({ service: this.service, state });
  }
}

function isOpenCircuit(error: unknown): boolean {
  return (error as { code?: unknown })?.code === 'EOPENBREAKER';
}

function outcomeOf(error: unknown): string {
  if (error instanceof ClientHttpError) return `http_${error.httpStatus}`;
  if (error instanceof BulkheadRejectedError) return 'bulkhead_rejected';
  if (isOpenCircuit(error)) return 'circuit_open';
  if (error instanceof CallerAborted) return 'aborted';
  return 'unavailable';
}

/** Parses `Retry-After` as seconds or an HTTP date; returns milliseconds. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function parseBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function networkCause(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error);
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CallerAborted());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CallerAborted());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
