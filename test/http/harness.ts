import supertest from 'supertest';
import { loadConfig } from '../../src/infrastructure/config';
import { startService, type RunningService, type ServiceOverrides } from '../../src/service';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { eventStoreTestEnvironment } from '../esdb-server';

export interface TestService {
  service: RunningService;
  database: TestDatabase;
  api: () => supertest.Agent;
  close(): Promise<void>;
}

/** Starts the whole service on its own fresh PostgreSQL database, listening on a free port of 127.0.0.1. */
export async function startTestService(env: Record<string, string> = {}, overrides: ServiceOverrides = {}): Promise<TestService> {
  const database = await createTestDatabase('ordersvc_http');
  // With TEST_EVENT_STORE=esdb the events go to an in-memory EventStoreDB test server.
  const eventStoreEnvironment = await eventStoreTestEnvironment();
  const cleanUp = async () => {
    await eventStoreEnvironment.stop();
    await database.drop();
  };
  // The order workflow (saga role) is left out so that tests drive every status change themselves.
  const config = loadConfig({
    DATABASE_URL: database.url,
    PORT: '0',
    HOST: '127.0.0.1',
    PAYMENT_STANDIN_DELAY: '20ms',
    LOG_LEVEL: 'warn',
    ROLES: 'api,projections,relay,inbox',
    ...eventStoreEnvironment.env,
    ...env,
  });
  try {
    const service = await startService(config, overrides);
    return {
      service,
      database,
      api: readYourWritesAgent(service.server),
      async close() {
        await service.stop();
        await cleanUp();
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/**
 * Returns a factory of supertest agents that send `X-Min-Event-Position`
 * with the latest `X-Event-Position` any of them received, so a query right
 * after a command sees that command's events, as api.md promises clients.
 */
export function readYourWritesAgent(target: Parameters<typeof supertest.agent>[0]): () => supertest.Agent {
  let latest: string | undefined;
  return () => {
    const agent = supertest.agent(target);
    if (latest) agent.set('X-Min-Event-Position', latest);
    agent.use((request: { on(event: 'response', listener: (response: { headers: Record<string, string | undefined> }) => void): void }) => {
      request.on('response', (response) => {
        const position = response.headers['x-event-position'];
        if (position && (!latest || position > latest)) latest = position;
      });
    });
    return agent;
  };
}

export const EUR = (amount: string) => ({ amount, currency: 'EUR' });

/** Creates an order with one line of SKU-1003 (34.90 EUR) and returns its id. */
export async function createOrder(test: TestService, body: object = { customerId: 'C-1', items: [{ productId: 'SKU-1003', quantity: 1 }] }): Promise<string> {
  const response = await test.api().post('/api/orders').send(body).expect(201);
  return response.body.id as string;
}

/** Polls `check` until it returns true, for at most `timeoutMs`. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
