import supertest from 'supertest';
import { OrderCommandService } from '../../src/application/order-command-service';
import { createSqlEventStore, eventStoreMigrations, type SqlEventStore } from '../../src/eventstore';
import { loadConfig } from '../../src/infrastructure/config';
import { openDatabase, type SqlDatabase } from '../../src/infrastructure/database';
import { migrate } from '../../src/infrastructure/migrations';
import { createIntegrations, referenceDataMigrations, type Integrations, type StandinInboundMessage } from '../../src/integrations';
import type { ResilienceOptions } from '../../src/integrations/http/service-client';
import type { MoneyData } from '../../src/pedido/events';
import { startService, type RunningService } from '../../src/service';
import { OrderProcessManager, processManagerMigrations } from '../../src/workflow';
import { FakeService } from '../support/fake-service';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

interface Running {
  service: RunningService;
  commands: OrderCommandService;
  api: () => supertest.Agent;
  close(): Promise<void>;
}

/**
 * Starts the whole service on a fresh PostgreSQL database with the process
 * manager as a worker, the way the composition root wires it.
 */
async function startWithWorkflow(env: Record<string, string>, resilience: Partial<ResilienceOptions> = {}): Promise<Running> {
  const database: TestDatabase = await createTestDatabase('ordersvc_workflow_e2e');
  const config = loadConfig({ DATABASE_URL: database.url, PORT: '0', HOST: '127.0.0.1', PAYMENT_STANDIN_DELAY: '20ms', ...env });
  const db: SqlDatabase = await openDatabase({ databaseUrl: database.url, dataDir: 'unused' });
  await migrate(db, [...eventStoreMigrations, ...referenceDataMigrations, ...processManagerMigrations]);
  const eventStore: SqlEventStore = createSqlEventStore(db);
  const commands = new OrderCommandService({ eventStore, db, maxLineQuantity: config.MAX_LINE_QUANTITY, retries: config.COMMAND_RETRIES });

  // Plays the inbox for the PaymentSvc stand-in.
  const deliver = async (message: StandinInboundMessage) => {
    const data = message.data as { orderId: string; paymentId: string; amount: MoneyData; method: string };
    await commands.execute(data.orderId, { type: 'ConfirmarPago', paymentId: data.paymentId, amount: data.amount, method: data.method });
  };
  const integrations: Integrations = await createIntegrations(config, { db, deliver, resilience });
  const processManager = new OrderProcessManager({
    db,
    eventStore,
    orders: commands,
    productCatalog: integrations.productCatalog,
    paymentGateway: integrations.paymentGateway,
    paymentTimeoutMs: config.PAYMENT_TIMEOUT,
    idleWaitMs: 100,
  });
  const service = await startService(config, {
    db,
    eventStore,
    integrations,
    migrations: processManagerMigrations,
    workers: [processManager],
    healthChecks: [processManager.healthCheck()],
  });
  return {
    service,
    commands,
    api: () => supertest.agent(service.server),
    async close() {
      await service.stop();
      await db.close();
      await database.drop();
    },
  };
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('order workflow over HTTP', () => {
  let running: Running;

  beforeAll(async () => {
    running = await startWithWorkflow({});
  });

  afterAll(async () => {
    await running.close();
  });

  it('takes an order created and paid to preparing by itself', async () => {
    const created = await running.api().post('/api/orders').send({ customerId: 'C-1', items: [{ productId: 'SKU-1003', quantity: 2 }] }).expect(201);
    const orderId = created.body.id as string;

    await running.api().post(`/api/orders/${orderId}/payments`).send({ method: 'card' }).expect(202);
    await eventually(async () => (await running.commands.load(orderId))?.state.status === 'preparing');

    const history = await running.api().get(`/api/orders/${orderId}/history`).expect(200);
    const types = (history.body.items as { type: string }[]).map((item) => item.type);
    expect(types).toEqual(expect.arrayContaining(['PagoRecibido', 'PedidoConfirmado', 'InventarioReservado']));
  });
});

describe('ProductSvc failing', () => {
  let running: Running;
  let productSvc: FakeService;
  let healthy = false;
  const product = { productId: 'SKU-1', name: 'Taza', unitPrice: { amount: '9.90', currency: 'EUR' }, available: 10 };

  beforeAll(async () => {
    productSvc = await FakeService.start(() => (healthy ? { status: 200, body: product } : { status: 503, headers: { 'retry-after': '1' } }));
    running = await startWithWorkflow(
      { PRODUCT_SERVICE_URL: productSvc.url, EXTERNAL_CALL_TIMEOUT: '500ms' },
      { maxAttempts: 2, volumeThreshold: 2, resetTimeoutMs: 500, baseDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 0 },
    );
  });

  afterAll(async () => {
    await running.close();
    await productSvc.close();
  });

  it('returns 503 with Retry-After until ProductSvc is back', async () => {
    const order = { customerId: 'C-1', items: [{ productId: 'SKU-1', quantity: 1 }] };

    const first = await running.api().post('/api/orders').send(order).expect(503);
    expect(first.body.code).toBe('SERVICE_UNAVAILABLE');
    expect(first.headers['retry-after']).toBe('1');

    // Once the circuit is open, a command fails without calling ProductSvc.
    await running.api().post('/api/orders').send(order).expect(503);
    const callsWhileOpen = productSvc.calls.length;
    const failedFast = await running.api().post('/api/orders').send(order).expect(503);
    expect(failedFast.body.code).toBe('SERVICE_UNAVAILABLE');
    expect(productSvc.calls.length).toBe(callsWhileOpen);

    healthy = true;
    await eventually(async () => (await running.api().post('/api/orders').send(order)).status === 201);
  });
});
