import type { HealthCheck, HealthStatus } from '../../infrastructure/health';
import type { EventStore } from '../port';
import { withTimeout } from './esdb-retry';

/**
 * Readiness of EventStoreDB for `/health/ready`: up with the response time when
 * a read of `$all` succeeds within `timeoutMs` (default 2 s), down with the
 * failure otherwise. Required, because no command can be handled without the
 * event store.
 */
export function createEsdbHealthCheck(store: Pick<EventStore, 'ping' | 'description'>, options: { timeoutMs?: number } = {}): HealthCheck {
  const timeoutMs = options.timeoutMs ?? 2_000;
  return {
    name: 'eventstore',
    required: true,
    async check(): Promise<HealthStatus> {
      const startedAt = performance.now();
      try {
        await withTimeout('ping', timeoutMs, () => store.ping());
        const elapsedMs = Math.round(performance.now() - startedAt);
        return { status: 'up', detail: `${store.description} answered in ${elapsedMs} ms` };
      } catch (error) {
        return { status: 'down', detail: `${store.description} unreachable: ${error instanceof Error ? error.message : String(error)}` };
      }
    },
  };
}
