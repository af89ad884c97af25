import amqp from 'amqplib';
import { randomUUID } from 'node:crypto';
import type { SqlEventStore } from '../../src/eventstore';
import { publishedEventTypes } from '../../src/messaging/contracts';
import { pedidoFold } from '../../src/messaging/pedido-fold';
import { RelayWorker, readCheckpoint, type RelayOptions } from '../../src/messaging/relay';
import type { PedidoState } from '../../src/pedido';
import {
  Collector,
  CuttableProxy,
  type MessagingDatabase,
  type ReceivedMessage,
  cancelledOrder,
  countStoredEvents,
  crearPedido,
  deliveredOrder,
  openMessagingDatabase,
  rabbitUrl,
  runCommand,
  uniqueName,
  waitUntil,
} from './support';

let database: MessagingDatabase;
let exchange: string;
let collector: Collector;
const workers: RelayWorker<PedidoState>[] = [];

function relay(options: Partial<RelayOptions<PedidoState>> = {}): RelayWorker<PedidoState> {
  const worker = new RelayWorker<PedidoState>({
    db: database.db,
    store: database.store,
    fold: pedidoFold,
    rabbitmqUrl: rabbitUrl,
    exchange,
    batchSize: 50,
    idleWaitMs: 200,
    standbyRetryMs: 100,
    backoff: { initialMs: 50, maxMs: 500 },
    ...options,
  });
  workers.push(worker);
  return worker;
}

/**
 * The whole global log. It waits until the log shows every stream's events,
 * since the store holds back events while any older transaction on the
 * server is still open.
 */
async function storedEvents(store: SqlEventStore) {
  const expected = await countStoredEvents(store);
  let events = await store.readAll(null, 100_000);
  await waitUntil(async () => {
    events = await store.readAll(null, 100_000);
    return events.length === expected;
  }, 'the global log to show every appended event');
  return events;
}

/** Every stored event arrived, duplicates are byte-identical, and first arrivals per order are in revision order. */
function expectCompleteAndOrdered(messages: readonly ReceivedMessage[], storedIds: readonly string[]): void {
  const first = new Map<string, ReceivedMessage>();
  for (const message of messages) {
    const earlier = first.get(message.messageId);
    if (earlier) {
      expect(message.content).toBe(earlier.content);
      expect(message.routingKey).toBe(earlier.routingKey);
    } else {
      first.set(message.messageId, message);
    }
  }
  expect([...first.keys()].sort()).toEqual([...storedIds].sort());

  const nextRevision = new Map<string, number>();
  for (const message of first.values()) {
    const expected = nextRevision.get(message.body.orderId) ?? 0;
    expect({ orderId: message.body.orderId, revision: message.body.revision }).toEqual({ orderId: message.body.orderId, revision: expected });
    nextRevision.set(message.body.orderId, expected + 1);
  }
}

beforeEach(async () => {
  database = await openMessagingDatabase();
  exchange = uniqueName('test.ordersvc.events');
  collector = await Collector.start(exchange);
});

afterEach(async () => {
  for (const worker of workers.splice(0)) await worker.stop();
  await collector.close();
  const connection = await amqp.connect(rabbitUrl);
  const channel = await connection.createChannel();
  await channel.deleteExchange(exchange).catch(() => undefined);
  await connection.close().catch(() => undefined);
  await database.close();
});

describe('relay', () => {
  it('publishes every type with its routing key, properties and body', async () => {
    const delivered = await deliveredOrder(database.store);
    const cancelled = await cancelledOrder(database.store);
    const stored = await storedEvents(database.store);

    await relay().start();
    await waitUntil(() => collector.messages.length >= stored.length, 'every event published');

    expect(new Set(collector.messages.map((message) => message.body.type))).toEqual(new Set(publishedEventTypes));
    for (const message of collector.messages) {
      const source = stored.find((event) => event.id === message.messageId);
      expect(source).toBeDefined();
      expect(message.routingKey).toBe(`pedido.${message.body.type}`);
      expect(message.properties.type).toBe(message.body.type);
      expect(message.properties.contentType).toBe('application/json');
      expect(message.properties.deliveryMode).toBe(2);
      expect(message.properties.timestamp).toBe(Math.floor(Date.parse(source!.recordedAt) / 1000));
      expect(message.properties.headers?.['x-correlation-id']).toBe(source!.metadata.correlationId);
      expect(message.properties.headers?.['x-causation-id']).toBe(source!.metadata.causationId);
      expect(message.body.eventId).toBe(source!.id);
      expect(message.body.revision).toBe(source!.revision);
      expect(message.body.occurredAt).toBe(source!.metadata.occurredAt);
      expect(message.body.orderId).toBe(source!.streamId.replace('pedido-', ''));
    }

    const byType = (type: string, orderId: string) =>
      collector.messages.filter((message) => message.body.type === type && message.body.orderId === orderId).map((message) => message.body.data);

    const [created] = byType('PedidoCreado', delivered);
    expect(created.items).toHaveLength(2);
    expect(created.subtotal).toEqual({ amount: '30.00', currency: 'EUR' });
    expect(created.total).toEqual({ amount: '34.90', currency: 'EUR' });
    expect(created.currency).toBe('EUR');
    expect(created.customerId).toBe(`customer-${delivered.slice(0, 8)}`);

    const updates = byType('PedidoActualizado', delivered);
    const productAdded = updates.find((data) => data.change === 'ProductoAgregado' && data.items.length === 3);
    expect(productAdded?.total).toEqual({ amount: '39.90', currency: 'EUR' });
    expect(updates.map((data) => data.change)).toEqual(expect.arrayContaining(['PagoSolicitado', 'InventarioReservado']));

    const [payment] = byType('PagoRecibido', delivered);
    expect(payment.amount).toEqual({ amount: '39.90', currency: 'EUR' });
    expect(payment.paid).toEqual({ amount: '39.90', currency: 'EUR' });
    expect(payment.due).toEqual({ amount: '0.00', currency: 'EUR' });

    const [confirmed] = byType('PedidoConfirmado', delivered);
    expect(typeof confirmed.orderNumber).toBe('string');
    expect(confirmed.total).toEqual({ amount: '39.90', currency: 'EUR' });

    const [shipped] = byType('PedidoEnviado', delivered);
    expect(shipped).toMatchObject({ carrier: 'Correos', trackingNumber: 'TRACK-1' });
    expect(byType('PedidoEntregado', delivered)[0].deliveredAt).toEqual(expect.any(String));

    const [cancellation] = byType('PedidoCancelado', cancelled);
    expect(cancellation).toMatchObject({ reason: 'changed my mind', refundDue: { amount: '0.00', currency: 'EUR' } });

    expectCompleteAndOrdered(collector.messages, stored.map((event) => event.id));
    await waitUntil(async () => (await readCheckpoint(database.db, exchange)) === stored[stored.length - 1].position, 'checkpoint at the head');
  });

  it('keeps revision order per order across interleaved orders', async () => {
    const orders = Array.from({ length: 6 }, () => randomUUID());
    for (const orderId of orders) await runCommand(database.store, orderId, crearPedido(orderId, 1));
    for (let round = 0; round < 4; round += 1) {
      for (const orderId of orders) {
        await runCommand(database.store, orderId, {
          type: 'AgregarProductoAPedido',
          itemId: randomUUID(),
          productId: `round-${round}`,
          quantity: 1,
          unitPrice: { amount: '1.00', currency: 'EUR' },
        });
      }
    }
    const stored = await storedEvents(database.store);

    await relay({ batchSize: 7 }).start();
    await waitUntil(() => collector.distinctIds().size >= stored.length, 'every event published');

    expectCompleteAndOrdered(collector.messages, stored.map((event) => event.id));
    // Batches of 7 split creation runs, so some PedidoCreado payloads need the stream read past the batch.
    const created = collector.messages.filter((message) => message.body.type === 'PedidoCreado');
    expect(created).toHaveLength(orders.length);
    for (const message of created) {
      expect(message.body.data.items).toHaveLength(1);
      expect(message.body.data.total).toEqual({ amount: '14.90', currency: 'EUR' });
    }
  });

  it('loses nothing when the connection is cut mid-batch', async () => {
    for (let index = 0; index < 12; index += 1) await deliveredOrder(database.store);
    const stored = await storedEvents(database.store);
    // Roughly 60 messages of ~800 bytes go upstream before the proxy cuts the connection, inside the second batch.
    const proxy = await CuttableProxy.start({ host: '127.0.0.1', port: 5672 }, { cutAfterBytes: 48_000 });
    try {
      const worker = relay({ rabbitmqUrl: proxy.url, batchSize: 40 });
      await worker.start();
      await waitUntil(() => collector.distinctIds().size >= stored.length, 'every event published after the cut', 60_000);

      expect(proxy.cuts).toBe(1);
      expectCompleteAndOrdered(collector.messages, stored.map((event) => event.id));
      expect(worker.health().status).toBe('up');
    } finally {
      await proxy.close();
    }
  });

  it('waits for a broker that is down, then publishes', async () => {
    const proxy = await CuttableProxy.start({ host: '127.0.0.1', port: 5672 });
    proxy.refusing = true;
    try {
      const worker = relay({ rabbitmqUrl: proxy.url });
      await worker.start();
      await waitUntil(() => worker.health().status === 'degraded', 'relay degraded while the broker is down');
      await cancelledOrder(database.store);
      const stored = await storedEvents(database.store);
      expect(collector.messages).toHaveLength(0);

      proxy.refusing = false;
      await waitUntil(() => collector.distinctIds().size >= stored.length, 'events published once the broker is back');
      expectCompleteAndOrdered(collector.messages, stored.map((event) => event.id));
      await waitUntil(() => worker.health().status === 'up', 'relay healthy again');
    } finally {
      await proxy.close();
    }
  });

  it('recovers when the exchange is deleted and declared again', async () => {
    const firstOrder = await deliveredOrder(database.store);
    const worker = relay({ backoff: { initialMs: 1500, maxMs: 3000 } });
    await worker.start();
    const firstBatch = await storedEvents(database.store);
    await waitUntil(() => collector.distinctIds().size >= firstBatch.length, 'first order published');

    const admin = await amqp.connect(rabbitUrl);
    try {
      const channel = await admin.createChannel();
      await channel.deleteExchange(exchange);
      await cancelledOrder(database.store);
      await waitUntil(() => worker.health().status === 'degraded', 'relay degraded by the missing exchange');
      expect(worker.health().detail).toMatch(/NOT_FOUND|404|channel closed/i);
      // Declared again with the test queue bound, while the relay backs off.
      await collector.rebind(exchange);
    } finally {
      await admin.close();
    }

    const stored = await storedEvents(database.store);
    await waitUntil(() => collector.distinctIds().size >= stored.length, 'events after the deletion published');
    expectCompleteAndOrdered(collector.messages, stored.map((event) => event.id));
    await waitUntil(() => worker.health().status === 'up', 'relay healthy again');
    expect(firstOrder).toBeDefined();
  });

  it('declares a missing exchange as a durable topic exchange', async () => {
    const ownExchange = uniqueName('test.ordersvc.fresh');
    await cancelledOrder(database.store);
    const worker = relay({ exchange: ownExchange });
    await worker.start();
    await waitUntil(async () => (await readCheckpoint(database.db, ownExchange)) !== null, 'relay published');

    const admin = await amqp.connect(rabbitUrl);
    try {
      const channel = await admin.createChannel();
      // Declaring with the same type and durability succeeds only if the relay declared it that way.
      await expect(channel.assertExchange(ownExchange, 'topic', { durable: true })).resolves.toBeDefined();
      await channel.deleteExchange(ownExchange);
    } finally {
      await admin.close();
    }
  });

  it('republishes a batch when the relay dies between confirm and checkpoint', async () => {
    for (let index = 0; index < 3; index += 1) await deliveredOrder(database.store);
    const stored = await storedEvents(database.store);

    let releaseDeadRelay!: () => void;
    const deadRelayReleased = new Promise<void>((resolve) => {
      releaseDeadRelay = resolve;
    });
    let confirmedBeforeDeath = 0;
    const dying = relay({
      afterConfirm: async (messages) => {
        confirmedBeforeDeath = messages.length;
        await deadRelayReleased;
        throw new Error('process died');
      },
    });
    try {
      await dying.start();
      await waitUntil(() => confirmedBeforeDeath > 0, 'first batch confirmed');
    expect(await readCheckpoint(database.db, exchange)).toBeNull();

    // The process is gone: its database session ends, which frees the lease for another instance.
    await database.db.query(
      "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND classid = 7302115 AND granted",
    );
    const successor = relay();
    await successor.start();
    await waitUntil(() => collector.distinctIds().size >= stored.length && successor.health().detail?.startsWith('publishing') === true, 'successor published');
    await waitUntil(async () => (await readCheckpoint(database.db, exchange)) === stored[stored.length - 1].position, 'checkpoint at the head');

    const copies = collector.messages.filter((message) => message.messageId === collector.messages[0].messageId);
      expect(copies.length).toBe(2);
      expectCompleteAndOrdered(collector.messages, stored.map((event) => event.id));
    } finally {
      releaseDeadRelay();
    }
  });

  it('lets a standby take over only when the active relay stops', async () => {
    await cancelledOrder(database.store);
    const active = relay();
    await active.start();
    await waitUntil(() => active.health().detail?.startsWith('publishing') === true, 'first relay active');
    const standby = relay();
    await standby.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(standby.health().detail).toMatch(/standby/);

    await active.stop();
    await waitUntil(() => standby.health().detail?.startsWith('publishing') === true, 'standby took over');
    await cancelledOrder(database.store);
    const stored = await storedEvents(database.store);
    await waitUntil(() => collector.distinctIds().size >= stored.length, 'events after takeover published');
    expectCompleteAndOrdered(collector.messages, stored.map((event) => event.id));
  });

  it('waits without a broker URL and keeps the events in the log', async () => {
    await cancelledOrder(database.store);
    const idle = relay({ rabbitmqUrl: undefined });
    await idle.start();
    expect(idle.health()).toEqual({ status: 'disabled', detail: expect.stringContaining('RABBITMQ_URL') });
    const stored = await storedEvents(database.store);
    expect(await idle.measureLag()).toEqual({ events: stored.length, seconds: expect.any(Number) });
    expect(collector.messages).toHaveLength(0);

    const configured = relay();
    await configured.start();
    await waitUntil(() => collector.distinctIds().size === stored.length, 'events published once a broker is configured');
    await waitUntil(async () => (await configured.measureLag()).events === 0, 'no lag');
  });
});
