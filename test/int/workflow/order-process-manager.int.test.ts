import { randomUUID } from 'node:crypto';
import { OrderCommandService } from '../../../src/application/order-command-service';
import { createSqlEventStore, eventStoreMigrations, type SqlEventStore } from '../../../src/eventstore';
import { openDatabase, type SqlDatabase } from '../../../src/infrastructure/database';
import { migrate } from '../../../src/infrastructure/migrations';
import { HttpPaymentGateway, HttpProductCatalog } from '../../../src/integrations/http/adapters';
import { type ResilienceOptions, ServiceClient } from '../../../src/integrations/http/service-client';
import { referenceDataMigrations } from '../../../src/integrations/reference-data';
import { orderStreamId } from '../../../src/pedido/events';
import { findSteps, OrderProcessManager, processManagerMigrations } from '../../../src/workflow';
import { FakeService } from '../../support/fake-service';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

const policy: Partial<ResilienceOptions> = { timeoutMs: 2_000, maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20, resetTimeoutMs: 500, random: () => 0.5 };

let testDb: TestDatabase;
let db: SqlDatabase;
let eventStore: SqlEventStore;
let commands: OrderCommandService;
let productSvc: FakeService;
let paymentSvc: FakeService;
let clients: ServiceClient[];
let managers: OrderProcessManager[];

/** ProductSvc that reserves when every line fits in `stock`, counting reservations by idempotency key. */
function stockKeeper(stock: Map<string, number>) {
  return (call: { path: string; idempotencyKey?: string; body: unknown }, fake: FakeService) => {
    if (call.path === '/reservations') {
      const { lines } = call.body as { lines: { productId: string; quantity: number }[] };
      const outcome = fake.applyOnce(call.idempotencyKey, () => {
        const short = lines.find((line) => (stock.get(line.productId) ?? 0) < line.quantity);
        if (short) return { status: 409, body: { reason: `${short.productId}: not enough stock` } };
        for (const line of lines) stock.set(line.productId, (stock.get(line.productId) ?? 0) - line.quantity);
        return { status: 201, body: { reservationId: `res-${fake.effects.size + 1}` } };
      });
      return outcome;
    }
    if (call.path.endsWith('/release')) {
      fake.applyOnce(call.idempotencyKey, () => true);
      return { status: 204 };
    }
    return { status: 404 };
  };
}

function refundCounter() {
  return (call: { path: string; idempotencyKey?: string }, fake: FakeService) => {
    if (call.path === '/refunds') {
      fake.applyOnce(call.idempotencyKey, () => true);
      return { status: 202, body: { status: 'accepted' } };
    }
    return { status: 404 };
  };
}

function startManager(overrides: { paymentTimeoutMs?: number } = {}): OrderProcessManager {
  const productClient = new ServiceClient('ProductSvc', productSvc.url, policy);
  const paymentClient = new ServiceClient('PaymentSvc', paymentSvc.url, policy);
  clients.push(productClient, paymentClient);
  const manager = new OrderProcessManager({
    db,
    eventStore,
    orders: commands,
    productCatalog: new HttpProductCatalog(productClient),
    paymentGateway: new HttpPaymentGateway(paymentClient),
    paymentTimeoutMs: overrides.paymentTimeoutMs ?? 60_000,
    idleWaitMs: 100,
    lockRetryMs: 100,
  });
  managers.push(manager);
  void manager.start();
  return manager;
}

async function createOrder(lines: { productId: string; quantity: number }[]): Promise<string> {
  const orderId = randomUUID();
  await commands.execute(orderId, {
    type: 'CrearPedido',
    orderId,
    customerId: 'customer-1',
    currency: 'EUR',
    shippingAddress: null,
    notes: null,
    items: lines.map((line) => ({ itemId: randomUUID(), productId: line.productId, quantity: line.quantity, unitPrice: { amount: '10.00', currency: 'EUR' } })),
    shippingTotal: { amount: '4.90', currency: 'EUR' },
  });
  return orderId;
}

async function requestPayment(orderId: string): Promise<{ paymentId: string; amount: { amount: string; currency: string } }> {
  const paymentId = randomUUID();
  const outcome = await commands.execute(orderId, { type: 'ProcesarPago', paymentId, method: 'card', amount: null });
  const payment = outcome.state.payments.find((candidate) => candidate.paymentId === paymentId);
  const minor = payment?.amount.minor ?? 0;
  return { paymentId, amount: { amount: (minor / 100).toFixed(2), currency: 'EUR' } };
}

async function createPaidOrder(lines: { productId: string; quantity: number }[]): Promise<string> {
  const orderId = await createOrder(lines);
  const { paymentId, amount } = await requestPayment(orderId);
  await commands.execute(orderId, { type: 'ConfirmarPago', paymentId, amount, method: 'card' });
  return orderId;
}

async function eventTypes(orderId: string): Promise<string[]> {
  return (await eventStore.readStream(orderStreamId(orderId))).map((event) => event.type);
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function statusOf(orderId: string): Promise<string | null | undefined> {
  return (await commands.load(orderId))?.state.status;
}

beforeEach(async () => {
  testDb = await createTestDatabase('ordersvc_saga');
  db = await openDatabase({ databaseUrl: testDb.url, dataDir: 'unused', poolSize: 8 });
  await migrate(db, [...eventStoreMigrations, ...referenceDataMigrations, ...processManagerMigrations]);
  eventStore = createSqlEventStore(db);
  commands = new OrderCommandService({ eventStore, db, maxLineQuantity: 1000, retries: 5 });
  productSvc = await FakeService.start();
  paymentSvc = await FakeService.start(refundCounter());
  clients = [];
  managers = [];
});

afterEach(async () => {
  for (const manager of managers) await manager.stop();
  for (const client of clients) client.shutdown();
  await productSvc.close();
  await paymentSvc.close();
  await eventStore.close();
  await db.close();
  await testDb.drop();
});

describe('order process manager', () => {
  it('reserves stock and moves a paid order to preparing', async () => {
    productSvc.handler = stockKeeper(new Map([['SKU-1', 5]]));
    startManager();

    const orderId = await createPaidOrder([{ productId: 'SKU-1', quantity: 2 }]);
    await waitFor(async () => (await statusOf(orderId)) === 'preparing');

    const reservations = productSvc.callsTo('/reservations');
    expect(reservations).toHaveLength(1);
    expect(reservations[0].body).toEqual({ orderId, lines: [{ productId: 'SKU-1', quantity: 2 }] });
    expect(reservations[0].idempotencyKey).toBe(`reserve-${orderId}`);
    expect((await commands.load(orderId))?.state.reservationId).toBe('res-1');
  });

  it('cancels and refunds when stock cannot be reserved', async () => {
    productSvc.handler = stockKeeper(new Map([['SKU-1', 1]]));
    startManager();

    const orderId = await createPaidOrder([{ productId: 'SKU-1', quantity: 3 }]);
    await waitFor(async () => (await eventTypes(orderId)).includes('ReembolsoCompletado'));

    const types = await eventTypes(orderId);
    expect(types.slice(-3)).toEqual(['PedidoCancelado', 'ReembolsoSolicitado', 'ReembolsoCompletado']);
    const state = (await commands.load(orderId))?.state;
    expect(state?.status).toBe('cancelled');
    expect(state?.cancellationReason).toBe('stock could not be reserved: SKU-1: not enough stock');
    expect(paymentSvc.callsTo('/refunds')).toHaveLength(1);
    expect(paymentSvc.callsTo('/refunds')[0].body).toMatchObject({ orderId, amount: { amount: '34.90', currency: 'EUR' } });
  });

  it('cancels an order whose payment stays unanswered', async () => {
    startManager({ paymentTimeoutMs: 300 });

    const orderId = await createOrder([{ productId: 'SKU-1', quantity: 1 }]);
    await requestPayment(orderId);
    await waitFor(async () => (await statusOf(orderId)) === 'cancelled');

    expect((await commands.load(orderId))?.state.cancellationReason).toBe('payment timed out');
    expect(await eventTypes(orderId)).not.toContain('ReembolsoSolicitado');
    expect(productSvc.calls).toHaveLength(0);
  });

  it('keeps an order whose payment was confirmed in time', async () => {
    productSvc.handler = stockKeeper(new Map([['SKU-1', 5]]));
    const orderId = await createOrder([{ productId: 'SKU-1', quantity: 1 }]);
    const { paymentId, amount } = await requestPayment(orderId);
    await commands.execute(orderId, { type: 'ConfirmarPago', paymentId, amount, method: 'card' });

    // The deadline has passed by the time the manager reads the request, but the payment was answered.
    startManager({ paymentTimeoutMs: 1 });
    await waitFor(async () => (await statusOf(orderId)) === 'preparing');

    expect(await eventTypes(orderId)).not.toContain('PedidoCancelado');
  });

  it('refunds and releases stock of a prepared order that is cancelled', async () => {
    productSvc.handler = stockKeeper(new Map([['SKU-1', 5]]));
    startManager();
    const orderId = await createPaidOrder([{ productId: 'SKU-1', quantity: 1 }]);
    await waitFor(async () => (await statusOf(orderId)) === 'preparing');

    await commands.execute(orderId, { type: 'CancelarPedido', reason: 'customer changed their mind' });
    await waitFor(async () => (await eventTypes(orderId)).includes('ReembolsoCompletado'));
    await waitFor(async () => productSvc.callsTo('/reservations/res-1/release').length === 1);

    expect(paymentSvc.callsTo('/refunds')).toHaveLength(1);
    expect(productSvc.callsTo('/reservations/res-1/release')[0].idempotencyKey).toBe(`ordersvc:${orderId}:release-stock`);
  });

  it('resumes a reservation after a restart without reserving twice', async () => {
    const stock = new Map([['SKU-1', 5]]);
    const keeper = stockKeeper(stock);
    // The first reservation is applied, but its answer never arrives before the restart.
    productSvc.handler = (call, fake) => ({ ...keeper(call, fake), delayMs: 10_000 });
    const first = startManager();
    const orderId = await createPaidOrder([{ productId: 'SKU-1', quantity: 2 }]);
    await waitFor(async () => productSvc.callsTo('/reservations').length >= 1);
    await waitFor(async () => (await findSteps(db, orderId)).some((step) => step.status === 'running'));

    await first.stop();
    productSvc.handler = keeper;
    startManager();
    await waitFor(async () => (await statusOf(orderId)) === 'preparing');

    expect(productSvc.effects.size).toBe(1);
    expect(stock.get('SKU-1')).toBe(3);
    expect(new Set(productSvc.callsTo('/reservations').map((call) => call.idempotencyKey))).toEqual(new Set([`reserve-${orderId}`]));
    expect((await eventTypes(orderId)).filter((type) => type === 'InventarioReservado')).toHaveLength(1);
  });

  it('resumes a refund after PaymentSvc comes back', async () => {
    productSvc.handler = stockKeeper(new Map());
    paymentSvc.handler = () => ({ status: 503 });
    const first = startManager();
    const orderId = await createPaidOrder([{ productId: 'SKU-9', quantity: 1 }]);
    await waitFor(async () => (await eventTypes(orderId)).includes('ReembolsoSolicitado'));
    await waitFor(async () => paymentSvc.callsTo('/refunds').length >= 2);

    await first.stop();
    paymentSvc.handler = refundCounter();
    startManager();
    await waitFor(async () => (await eventTypes(orderId)).includes('ReembolsoCompletado'));

    const types = await eventTypes(orderId);
    expect(types.filter((type) => type === 'ReembolsoSolicitado')).toHaveLength(1);
    expect(types.filter((type) => type === 'ReembolsoCompletado')).toHaveLength(1);
    expect(paymentSvc.effects.size).toBe(1);
  });

  it('refunds a payment confirmed after cancellation', async () => {
    startManager();
    const orderId = await createOrder([{ productId: 'SKU-1', quantity: 1 }]);
    const { paymentId, amount } = await requestPayment(orderId);
    await commands.execute(orderId, { type: 'CancelarPedido', reason: 'customer changed their mind' });

    await commands.execute(orderId, { type: 'ConfirmarPago', paymentId, amount, method: 'card' });
    await waitFor(async () => (await eventTypes(orderId)).includes('ReembolsoCompletado'));

    expect(paymentSvc.callsTo('/refunds')).toHaveLength(1);
    expect(paymentSvc.callsTo('/refunds')[0].body).toMatchObject({ orderId, amount });
  });

  it('leaves imported history alone', async () => {
    productSvc.handler = stockKeeper(new Map([['SKU-1', 5]]));
    startManager({ paymentTimeoutMs: 100 });
    const orderId = randomUUID();
    const price = { amount: '10.00', currency: 'EUR' };
    await commands.execute(orderId, {
      type: 'ImportarPedidoHistorico',
      facts: [
        { type: 'PedidoCreado', data: { orderId, customerId: 'customer-1', currency: 'EUR', shippingAddress: null, notes: null, createdAt: '2018-03-01T10:00:00.000Z' } },
        { type: 'ProductoAgregado', data: { itemId: randomUUID(), productId: 'SKU-1', quantity: 1, unitPrice: price, addedAt: '2018-03-01T10:00:00.000Z' } },
        { type: 'PagoSolicitado', data: { paymentId: 'p-1', method: 'card', amount: price, requestedAt: '2018-03-01T10:01:00.000Z' } },
        { type: 'PagoRecibido', data: { paymentId: 'p-1', method: 'card', amount: price, receivedAt: '2018-03-01T10:02:00.000Z' } },
        { type: 'PedidoConfirmado', data: { orderNumber: 'H-1', total: price, confirmedAt: '2018-03-01T10:02:00.000Z' } },
      ],
    });
    // The manager reads the log in order, so once the later live order is prepared the import has been read.
    const liveOrderId = await createPaidOrder([{ productId: 'SKU-1', quantity: 1 }]);
    await waitFor(async () => (await statusOf(liveOrderId)) === 'preparing');

    expect(await statusOf(orderId)).toBe('confirmed');
    expect(productSvc.callsTo('/reservations').map((call) => (call.body as { orderId: string }).orderId)).toEqual([liveOrderId]);
    expect(await findSteps(db, orderId)).toEqual([]);
  });

  it('runs on one instance at a time', async () => {
    productSvc.handler = stockKeeper(new Map([['SKU-1', 5]]));
    const first = startManager();
    await waitFor(async () => (await first.healthCheck().check()).detail === 'active');
    const second = startManager();
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect((await second.healthCheck().check()).detail).toBe('standby');

    await first.stop();
    await waitFor(async () => (await second.healthCheck().check()).detail === 'active');
  });
});
