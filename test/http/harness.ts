import supertest from 'supertest';
import { loadConfig } from '../../src/infrastructure/config';
import { startService, type RunningService, type ServiceOverrides } from '../../src/service';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

export interface TestService {
  service: RunningService;
  database: TestDatabase;
  api: () => supertest.Agent;
  close(): Promise<void>;
}

/** Starts the whole service on its own fresh PostgreSQL database, listening on a free port of 127.0.0.1. */
export async function startTestService(env: Record<string, string> = {}, overrides: ServiceOverrides = {}): Promise<TestService> {
  const database = await createTestDatabase('ordersvc_http');
  const config = loadConfig({ DATABASE_URL: database.url, PORT: '0', HOST: '127.0.0.1', PAYMENT_STANDIN_DELAY: '20ms', LOG_LEVEL: 'warn', ...env });
  try {
    const service = await startService(config, overrides);
    return {
      service,
      database,
      api: () => supertest.agent(service.server),
      async close() {
        await service.stop();
        await database.drop();
      },
    };
  } catch (error) {
    await database.drop();
    throw error;
  }
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
