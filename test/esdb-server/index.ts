import { startEsdbTestServer } from './server';

export { EsdbTestServer, startEsdbTestServer, type EsdbTestServerOptions, type FaultKind } from './server';
export { InMemoryEventLog } from './event-log';

/**
 * Environment for a service under test. With `TEST_EVENT_STORE=esdb` it starts
 * an EventStoreDB test server and returns `EVENTSTORE_URL` pointing at it, so
 * end-to-end suites run on EventStoreDB. Otherwise it returns no variables and
 * the service keeps its SQL event store.
 */
export async function eventStoreTestEnvironment(): Promise<{ env: Record<string, string>; stop(): Promise<void> }> {
  if (process.env.TEST_EVENT_STORE !== 'esdb') return { env: {}, stop: async () => undefined };
  const server = await startEsdbTestServer();
  return { env: { EVENTSTORE_URL: server.connectionString }, stop: () => server.stop() };
}
