import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import supertest from 'supertest';
import { loadConfig } from '../../src/infrastructure/config';
import { startService, type RunningService } from '../../src/service';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { Collector, rabbitUrl, uniqueName, waitUntil } from './support';

let database: TestDatabase;
let service: RunningService;
let collector: Collector;
let names: { events: string; inbox: string; products: string };

beforeAll(async () => {
  database = await createTestDatabase('ordersvc_messaging_e2e');
  names = { events: uniqueName('test.ordersvc.events'), inbox: uniqueName('test.ordersvc.inbox'), products: uniqueName('test.productsvc') };
  collector = await Collector.start(names.events);
  const config = loadConfig({
    DATABASE_URL: database.url,
    PORT: '0',
    HOST: '127.0.0.1',
    RABBITMQ_URL: rabbitUrl,
    EVENTS_EXCHANGE: names.events,
    INBOX_QUEUE: names.inbox,
    INBOX_BINDINGS: `${names.products}:producto.InventarioActualizado`,
    ROLES: 'api,relay,inbox',
    PAYMENT_STANDIN_DELAY: '20ms',
  });
  service = await startService(config);
});

afterAll(async () => {
  await service?.stop();
  await collector?.close();
  const connection = await amqp.connect(rabbitUrl);
  const channel = await connection.createChannel();
  for (const queue of [names.inbox, `${names.inbox}.dlq`, ...[1000, 2000, 4000, 8000].map((ms) => `${names.inbox}.retry.${ms}ms`)]) {
    await channel.deleteQueue(queue).catch(() => undefined);
  }
  for (const exchange of [names.events, names.products]) await channel.deleteExchange(exchange).catch(() => undefined);
  await connection.close().catch(() => undefined);
  await database?.drop();
});

describe('service with RabbitMQ', () => {
  it('publishes an order paid through the stand-in, in order', async () => {
    const api = supertest(service.server);
    const created = await api.post('/api/orders').send({ customerId: 'C-1', items: [{ productId: 'SKU-1003', quantity: 2 }] }).expect(201);
    const orderId = created.body.id as string;
    await api.post(`/api/orders/${orderId}/payments`).send({ method: 'card' }).expect(202);

    await waitUntil(
      () => collector.messages.some((message) => message.body.orderId === orderId && message.body.type === 'PedidoConfirmado'),
      'PedidoConfirmado published',
    );
    const revisions = collector.messages.filter((message) => message.body.orderId === orderId).map((message) => message.body.revision);
    expect(revisions).toEqual(revisions.map((_, index) => index));
    const types = collector.messages.filter((message) => message.body.orderId === orderId).map((message) => message.body.type);
    expect(types[0]).toBe('PedidoCreado');
    expect(types).toEqual(expect.arrayContaining(['PagoRecibido', 'PedidoConfirmado']));
  });

  it('makes a product announced by a message orderable', async () => {
    const productId = `SKU-${randomUUID().slice(0, 8)}`;
    const api = supertest(service.server);
    // The consumer reports `consuming` once its queue, exchanges and bindings are declared.
    await waitUntil(async () => (await api.get('/health/ready')).text.includes(`consuming ${names.inbox}`), 'inbox consuming');

    const connection = await amqp.connect(rabbitUrl);
    try {
      const channel = await connection.createConfirmChannel();
      const eventId = randomUUID();
      const body = { eventId, type: 'InventarioActualizado', occurredAt: new Date().toISOString(), data: { productId, available: 5, unitPrice: { amount: '7.50', currency: 'EUR' }, name: 'Taza' } };
      channel.publish(names.products, 'producto.InventarioActualizado', Buffer.from(JSON.stringify(body)), { messageId: eventId, contentType: 'application/json' });
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }

    await waitUntil(async () => (await service.db.query('SELECT 1 FROM reference_products WHERE product_id = $1', [productId])).rows.length === 1, 'product stored');
    await waitUntil(async () => (await api.post('/api/orders').send({ customerId: 'C-2', items: [{ productId, quantity: 1 }] })).status === 201, 'order with the new product accepted');
  });

  it('serves the AsyncAPI document', async () => {
    const response = await supertest(service.server).get('/asyncapi.json').expect(200);
    expect(response.body.asyncapi).toBe('2.6.0');
    expect(response.body.channels['pedido.PedidoCreado'].bindings.amqp.exchange.name).toBe(names.events);
  });
});
