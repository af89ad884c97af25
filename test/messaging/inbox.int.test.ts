import { randomUUID } from 'node:crypto';
import amqp, { type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import { OrderCommandService } from '../../src/application/order-command-service';
import { metricsRegistry } from '../../src/infrastructure/metrics';
import { findCustomer, findProduct } from '../../src/integrations/reference-data';
import { InboxProcessor, type InboundMessage } from '../../src/messaging/inbox';
import { InboxWorker, type InboxWorkerOptions } from '../../src/messaging/inbox-worker';
import { orderStreamId } from '../../src/pedido';
import { type MessagingDatabase, crearPedido, openMessagingDatabase, rabbitUrl, runCommand, uniqueName, waitUntil } from './support';

let database: MessagingDatabase;
let commands: OrderCommandService;
let processor: InboxProcessor;
let connection: ChannelModel;
let channel: Channel;
let queue: string;
let exchanges: { payments: string; products: string; users: string };
const workers: InboxWorker[] = [];

/** Starts a consumer and waits until it consumes, so the exchanges exist before the test publishes. */
async function startInbox(options: Partial<InboxWorkerOptions> = {}): Promise<InboxWorker> {
  const worker = inboxWorker(options);
  await worker.start();
  await waitUntil(() => worker.health().status === 'up', 'inbox consumer up');
  return worker;
}

function inboxWorker(options: Partial<InboxWorkerOptions> = {}): InboxWorker {
  const worker = new InboxWorker({
    processor,
    rabbitmqUrl: rabbitUrl,
    queue,
    bindings: [
      { exchange: exchanges.payments, routingKey: 'pago.*' },
      { exchange: exchanges.products, routingKey: 'producto.InventarioActualizado' },
      { exchange: exchanges.users, routingKey: 'cliente.ClienteActualizado' },
    ],
    prefetch: 4,
    maxAttempts: 3,
    retryDelayMs: 50,
    backoff: { initialMs: 50, maxMs: 500 },
    ...options,
  });
  workers.push(worker);
  return worker;
}

function publish(exchange: string, routingKey: string, body: unknown, messageId: string | undefined, type?: string): void {
  const content = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  channel.publish(exchange, routingKey, content, { messageId, type, contentType: 'application/json', persistent: true });
}

function envelope<T>(type: string, data: T, occurredAt = new Date().toISOString()) {
  const eventId = randomUUID();
  return { eventId, body: { eventId, type, occurredAt, data } };
}

/** An order waiting for payment `paymentId` of 34.90 EUR. */
async function orderAwaitingPayment(): Promise<{ orderId: string; paymentId: string }> {
  const orderId = randomUUID();
  const paymentId = randomUUID();
  await runCommand(database.store, orderId, crearPedido(orderId));
  await runCommand(database.store, orderId, { type: 'ProcesarPago', paymentId, method: 'card', amount: null });
  return { orderId, paymentId };
}

async function eventTypes(orderId: string): Promise<string[]> {
  return (await database.store.readStream(orderStreamId(orderId))).map((event) => event.type);
}

async function takeParked(count: number): Promise<GetMessage[]> {
  const parked: GetMessage[] = [];
  await waitUntil(async () => {
    const message = await channel.get(`${queue}.dlq`, { noAck: true });
    if (message) parked.push(message);
    return parked.length >= count;
  }, `${count} parked messages`);
  return parked;
}

async function parkedCount(reason: string): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric('ordersvc_inbox_parked_total')?.get();
  return metric?.values.find((value) => value.labels.reason === reason)?.value ?? 0;
}

beforeEach(async () => {
  database = await openMessagingDatabase();
  commands = new OrderCommandService({ eventStore: database.store, db: database.db, maxLineQuantity: 1000, retries: 5 });
  processor = new InboxProcessor({ db: database.db, commands });
  queue = uniqueName('test.ordersvc.inbox');
  exchanges = { payments: uniqueName('test.paymentsvc'), products: uniqueName('test.productsvc'), users: uniqueName('test.usersvc') };
  connection = await amqp.connect(rabbitUrl);
  channel = await connection.createChannel();
});

afterEach(async () => {
  for (const worker of workers.splice(0)) await worker.stop();
  for (const name of [queue, `${queue}.dlq`, `${queue}.retry.50ms`, `${queue}.retry.100ms`]) await channel.deleteQueue(name).catch(() => undefined);
  for (const exchange of Object.values(exchanges)) await channel.deleteExchange(exchange).catch(() => undefined);
  await connection.close().catch(() => undefined);
  await database.close();
});

describe('inbox consumer', () => {
  it('confirms the order named by a PagoConfirmado', async () => {
    const { orderId, paymentId } = await orderAwaitingPayment();
    await startInbox();
    const message = envelope('PagoConfirmado', { paymentId, orderId, amount: { amount: '34.9', currency: 'EUR' }, method: 'card' });

    publish(exchanges.payments, 'pago.PagoConfirmado', message.body, message.eventId, 'PagoConfirmado');

    await waitUntil(async () => (await eventTypes(orderId)).includes('PedidoConfirmado'), 'order confirmed');
    const stored = await database.store.readStream(orderStreamId(orderId));
    const received = stored.find((event) => event.type === 'PagoRecibido');
    expect(received?.data).toMatchObject({ paymentId, amount: { amount: '34.90', currency: 'EUR' } });
    expect(received?.metadata.causationId).toBe(message.eventId);
    const { rows } = await database.db.query('SELECT type, source FROM inbox WHERE message_id = $1', [message.eventId]);
    expect(rows).toEqual([{ type: 'PagoConfirmado', source: exchanges.payments }]);
  });

  it('records a PagoRechazado on the order', async () => {
    const { orderId, paymentId } = await orderAwaitingPayment();
    await startInbox();
    const message = envelope('PagoRechazado', { paymentId, orderId, reason: 'card declined' });

    publish(exchanges.payments, 'pago.PagoRechazado', message.body, message.eventId, 'PagoRechazado');

    await waitUntil(async () => (await eventTypes(orderId)).includes('PagoRechazado'), 'payment rejected');
  });

  it('applies a duplicate message only once', async () => {
    const { orderId, paymentId } = await orderAwaitingPayment();
    await startInbox();
    const message = envelope('PagoConfirmado', { paymentId, orderId, amount: { amount: '34.90', currency: 'EUR' } });
    const marker = envelope('InventarioActualizado', { productId: `marker-${randomUUID()}`, available: 1 });

    publish(exchanges.payments, 'pago.PagoConfirmado', message.body, message.eventId);
    publish(exchanges.payments, 'pago.PagoConfirmado', message.body, message.eventId);
    publish(exchanges.products, 'producto.InventarioActualizado', marker.body, marker.eventId);

    await waitUntil(async () => (await findProduct(database.db, marker.body.data.productId)) !== undefined, 'marker applied');
    await waitUntil(async () => {
      const { rows } = await database.db.query<{ count: string }>('SELECT count(*) AS count FROM inbox');
      return Number(rows[0].count) === 2;
    }, 'both message ids recorded');
    const types = await eventTypes(orderId);
    expect(types.filter((type) => type === 'PagoRecibido')).toHaveLength(1);
    expect(types.filter((type) => type === 'PedidoConfirmado')).toHaveLength(1);
  });

  it('parks poison messages with a reason and keeps consuming', async () => {
    const before = await parkedCount('VALIDATION_FAILED');
    const { orderId, paymentId } = await orderAwaitingPayment();
    await startInbox();

    publish(exchanges.payments, 'pago.PagoConfirmado', '{not json', randomUUID());
    const missingFields = envelope('PagoConfirmado', { orderId });
    publish(exchanges.payments, 'pago.PagoConfirmado', missingFields.body, missingFields.eventId);
    const unknownOrder = envelope('PagoConfirmado', { paymentId: randomUUID(), orderId: randomUUID(), amount: { amount: '1.00', currency: 'EUR' } });
    publish(exchanges.payments, 'pago.PagoConfirmado', unknownOrder.body, unknownOrder.eventId);
    const unknownType = envelope('PagoReembolsado', { paymentId });
    publish(exchanges.payments, 'pago.PagoReembolsado', unknownType.body, unknownType.eventId);
    const good = envelope('PagoConfirmado', { paymentId, orderId, amount: { amount: '34.90', currency: 'EUR' } });
    publish(exchanges.payments, 'pago.PagoConfirmado', good.body, good.eventId);

    await waitUntil(async () => (await eventTypes(orderId)).includes('PedidoConfirmado'), 'the valid message applied');
    const parked = await takeParked(4);
    const reasons = Object.fromEntries(parked.map((message) => [String(message.properties.messageId), message.properties.headers?.['x-death-reason']]));
    expect(reasons[missingFields.eventId]).toBe('VALIDATION_FAILED');
    expect(reasons[unknownOrder.eventId]).toBe('UNKNOWN_ORDER');
    expect(reasons[unknownType.eventId]).toBe('UNKNOWN_TYPE');
    expect(Object.values(reasons).filter((reason) => reason === 'VALIDATION_FAILED')).toHaveLength(2);
    const missing = parked.find((message) => message.properties.messageId === missingFields.eventId);
    expect(String(missing?.properties.headers?.['x-death-detail'])).toContain('data.paymentId');
    expect(missing?.properties.headers?.['x-original-exchange']).toBe(exchanges.payments);
    expect(missing?.content.toString()).toBe(JSON.stringify(missingFields.body));
    expect(await parkedCount('VALIDATION_FAILED')).toBe(before + 2);
  });

  it('retries a failing message with backoff, then parks it', async () => {
    let calls = 0;
    const failing = {
      async process(): Promise<'applied'> {
        calls += 1;
        throw new Error('reference database unavailable');
      },
    };
    await startInbox({ processor: failing });
    const message = envelope('ClienteActualizado', { customerId: 'c-1', active: false });

    publish(exchanges.users, 'cliente.ClienteActualizado', message.body, message.eventId);

    const [parked] = await takeParked(1);
    expect(calls).toBe(3);
    expect(parked.properties.messageId).toBe(message.eventId);
    expect(parked.properties.headers?.['x-death-reason']).toBe('RETRIES_EXHAUSTED');
    expect(parked.properties.headers?.['x-retry-count']).toBe(2);
    expect(String(parked.properties.headers?.['x-death-detail'])).toContain('reference database unavailable');
  });

  it('applies a message that succeeds on a retry', async () => {
    let calls = 0;
    const flaky = {
      async process(message: InboundMessage) {
        calls += 1;
        if (calls === 1) throw new Error('transient failure');
        return processor.process(message);
      },
    };
    await startInbox({ processor: flaky });
    const message = envelope('ClienteActualizado', { customerId: 'c-retry', active: false, name: 'Ana' });

    publish(exchanges.users, 'cliente.ClienteActualizado', message.body, message.eventId);

    await waitUntil(async () => (await findCustomer(database.db, 'c-retry')) !== undefined, 'customer stored after a retry');
    expect(await findCustomer(database.db, 'c-retry')).toMatchObject({ active: false, name: 'Ana' });
    expect(calls).toBe(2);
  });

  it('keeps newer customer and inventory data over older updates', async () => {
    await startInbox({ prefetch: 1 });
    const productId = `p-${randomUUID()}`;
    const newerProduct = envelope('InventarioActualizado', { productId, available: 7, unitPrice: { amount: '12.5', currency: 'EUR' }, name: 'Mug' }, '2026-05-02T10:00:00Z');
    const olderProduct = envelope('InventarioActualizado', { productId, available: 99, unitPrice: { amount: '1.00', currency: 'EUR' } }, '2026-05-01T10:00:00Z');
    const newerCustomer = envelope('ClienteActualizado', { customerId: 'c-order', active: false, email: 'new@example.com' }, '2026-05-02T10:00:00Z');
    const olderCustomer = envelope('ClienteActualizado', { customerId: 'c-order', active: true, email: 'old@example.com' }, '2026-05-01T10:00:00Z');

    publish(exchanges.products, 'producto.InventarioActualizado', newerProduct.body, newerProduct.eventId);
    publish(exchanges.products, 'producto.InventarioActualizado', olderProduct.body, olderProduct.eventId);
    publish(exchanges.users, 'cliente.ClienteActualizado', newerCustomer.body, newerCustomer.eventId);
    publish(exchanges.users, 'cliente.ClienteActualizado', olderCustomer.body, olderCustomer.eventId);

    await waitUntil(async () => {
      const { rows } = await database.db.query<{ count: string }>('SELECT count(*) AS count FROM inbox');
      return Number(rows[0].count) === 4;
    }, 'all four updates processed');
    expect(await findProduct(database.db, productId)).toMatchObject({ available: 7, unitPrice: { amount: '12.50', currency: 'EUR' }, name: 'Mug' });
    expect(await findCustomer(database.db, 'c-order')).toMatchObject({ active: false, email: 'new@example.com' });
  });
});

describe('inbox processor', () => {
  it('reports a concurrent duplicate without a second effect', async () => {
    const { orderId, paymentId } = await orderAwaitingPayment();
    const message: InboundMessage = {
      messageId: randomUUID(),
      type: 'PagoConfirmado',
      occurredAt: new Date().toISOString(),
      data: { paymentId, orderId, amount: { amount: '34.90', currency: 'EUR' } },
      source: 'test',
    };

    const outcomes = await Promise.all([processor.process(message), processor.process(message)]);
    const again = await processor.process(message);

    expect(outcomes.sort()).toEqual(['applied', 'duplicate']);
    expect(again).toBe('duplicate');
    expect((await eventTypes(orderId)).filter((type) => type === 'PagoRecibido')).toHaveLength(1);
  });

  it('rejects a message without an id or time', async () => {
    const message = { messageId: '', type: 'ClienteActualizado', occurredAt: 'yesterday', data: { customerId: 'c' }, source: 'test' };
    await expect(processor.process(message)).rejects.toMatchObject({ name: 'PoisonMessageError', reason: 'VALIDATION_FAILED' });
  });
});
