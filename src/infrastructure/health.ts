/** Readiness of one dependency or worker, as `/health/ready` reports it. */
export interface HealthStatus {
  status: 'up' | 'down' | 'degraded' | 'disabled';
  detail?: string;
}

export interface HealthCheck {
  name: string;
  /** A required check that is down makes `/health/ready` return 503; other checks are only reported. */
  required: boolean;
  check(): Promise<HealthStatus>;
}

/** A long-running part of the service (projection runner, relay, inbox consumer, saga). */
export interface BackgroundWorker {
  name: string;
  start(): Promise<void>;
  /** Stops and waits for work in flight to finish. */
  stop(): Promise<void>;
}
