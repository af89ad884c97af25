import { randomUUID } from 'node:crypto';
import { OrderCommandService } from '../../../src/application/order-command-service';
import { createSqlEventStore, eventStoreMigrations, type SqlEventStore } from '../../../src/eventstore';
import { loadConfig } from '../../../src/infrastructure/config';
import { openDatabase, type SqlDatabase } from '../../../src/infrastructure/database';
import { migrate } from '../../../src/infrastructure/migrations';
import { createIntegrations, findProduct, referenceDataMigrations, type Integrations, type StandinInboundMessage } from '../../../src/integrations';
import { orderStreamId, type MoneyData } from '../../../src/pedido/events';
import { toMoneyData } from '../../../src/pedido/money';
import { OrderProcessManager, processManagerMigrations } from '../../../src/workflow';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

// The workflow as the default configuration runs it: every service played by its
// in-process stand-in. PGlite cannot load inside jest's module sandbox, so the
// database is a PostgreSQL test database with the same SQL.
let testDb: TestDatabase;
let db: SqlDatabase;
let eventStore: SqlEventStore;
let commands: OrderCommandService;
let integrations: Integrations;
let manager: OrderProcessManager;

beforeAll(async () => {
  testDb = await createTestDatabase('ordersvc_standin_flow');
  db = await openDatabase({ databaseUrl: testDb.url, dataDir: 'unused' });
  await migrate(db, [...eventStoreMigrations, ...referenceDataMigrations, ...processManagerMigrations]);
  eventStore = createSqlEventStore(db);
  commands = new OrderCommandService({ eventStore, db, maxLineQuantity: 1000, retries: 5 });
  const config = loadConfig({ PAYMENT_STANDIN_DELAY: '50ms' });
  integrations = await createIntegrations(config, { db, deliver: confirmPayment });
  manager = new OrderProcessManager({
    db,
    eventStore,
    orders: commands,
    productCatalog: integrations.productCatalog,
    paymentGateway: integrations.paymentGateway,
    paymentTimeoutMs: config.PAYMENT_TIMEOUT,
    idleWaitMs: 100,
  });
  await manager.start();
});

afterAll(async () => {
  await manager.stop();
  await integrations.stop();
  await eventStore.close();
  await db.close();
  await testDb.drop();
});

// Plays the inbox for the stand-in's PagoConfirmado messages.
async function confirmPayment(message: StandinInboundMessage): Promise<void> {
  const data = message.data as { orderId: string; paymentId: string; amount: MoneyData; method: string };
  await commands.execute(data.orderId, { type: 'ConfirmarPago', paymentId: data.paymentId, amount: data.amount, method: data.method }, { metadata: { causationId: message.messageId } });
}

async function placePaidOrder(productId: string, quantity: number): Promise<string> {
  const product = await integrations.productCatalog.getProduct(productId);
  if (!product) throw new Error(`sample catalog lacks ${productId}`);
  const orderId = randomUUID();
  await commands.execute(orderId, {
    type: 'CrearPedido',
    orderId,
    customerId: 'customer-1',
    currency: 'EUR',
    shippingAddress: null,
    notes: null,
    items: [{ itemId: randomUUID(), productId, quantity, unitPrice: product.unitPrice }],
    shippingTotal: await integrations.shippingRates.quote({ currency: 'EUR', lines: [{ productId, quantity }] }),
  });
  const paymentId = randomUUID();
  const outcome = await commands.execute(orderId, { type: 'ProcesarPago', paymentId, method: 'card', amount: null });
  const payment = outcome.state.payments.find((candidate) => candidate.paymentId === paymentId);
  if (!payment) throw new Error('payment not recorded');
  await integrations.paymentGateway.requestPayment({ orderId, paymentId, amount: toMoneyData(payment.amount), method: 'card', idempotencyKey: `payment-${paymentId}` });
  return orderId;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function eventTypes(orderId: string): Promise<string[]> {
  return (await eventStore.readStream(orderStreamId(orderId))).map((event) => event.type);
}

describe('workflow with stand-ins', () => {
  it('takes a paid order to preparing by itself', async () => {
    const orderId = await placePaidOrder('SKU-1003', 2);

    await waitFor(async () => (await commands.load(orderId))?.state.status === 'preparing');

    expect(await eventTypes(orderId)).toEqual(expect.arrayContaining(['PagoRecibido', 'PedidoConfirmado', 'InventarioReservado']));
    expect((await findProduct(db, 'SKU-1003'))?.available).toBe(118);
  });

  it('cancels and refunds an order the stock cannot cover', async () => {
    const orderId = await placePaidOrder('SKU-3003', 4);

    await waitFor(async () => (await eventTypes(orderId)).includes('ReembolsoCompletado'));

    expect((await commands.load(orderId))?.state.status).toBe('cancelled');
    expect((await findProduct(db, 'SKU-3003'))?.available).toBe(3);
  });
});
