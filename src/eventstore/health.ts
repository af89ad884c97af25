import type { HealthCheck, HealthStatus } from '../infrastructure/health';
import type { EventStore } from './port';

/** Readiness check that pings the event store; a ping slower than `timeoutMs` counts as down. */
export function eventStoreHealthCheck(store: EventStore, options: { name?: string; timeoutMs?: number } = {}): HealthCheck {
  const timeoutMs = options.timeoutMs ?? 2_000;
  return {
    name: options.name ?? 'eventstore',
    required: true,
    async check(): Promise<HealthStatus> {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([store.ping(), timeout]);
        return { status: 'up', detail: store.description };
      } catch (error) {
        return { status: 'down', detail: error instanceof Error ? error.message : String(error) };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
