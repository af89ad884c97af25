import net from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { createSqlEventStore, eventStoreMigrations, type SqlEventStore } from '../../src/eventstore';
import { openDatabase, type SqlDatabase } from '../../src/infrastructure/database';
import { migrate } from '../../src/infrastructure/migrations';
import { messagingMigrations } from '../../src/messaging/migrations';
import { referenceDataMigrations } from '../../src/integrations/reference-data';
import {
  type PedidoCommand,
  PEDIDO_EVENT_SCHEMA_VERSION,
  decide,
  foldPedido,
  occurredAtOf,
  orderStreamId,
  type PedidoEvent,
} from '../../src/pedido';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

export const rabbitUrl = process.env.TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export function uniqueName(prefix: string): string {
  return `${prefix}.${Date.now().toString(36)}.${randomBytes(4).toString('hex')}`;
}

export interface MessagingDatabase {
  db: SqlDatabase;
  store: SqlEventStore;
  testDb: TestDatabase;
  close(): Promise<void>;
}

/** A fresh PostgreSQL database with the event store, messaging and reference data tables. */
export async function openMessagingDatabase(): Promise<MessagingDatabase> {
  const testDb = await createTestDatabase('ordersvc_msg');
  const db = await openDatabase({ databaseUrl: testDb.url, dataDir: 'unused', poolSize: 6 });
  await migrate(db, [...eventStoreMigrations, ...messagingMigrations, ...referenceDataMigrations]);
  const store = createSqlEventStore(db);
  return {
    db,
    store,
    testDb,
    async close() {
      await store.close();
      await db.close();
      await testDb.drop();
    },
  };
}

const appendedStreams = new WeakMap<SqlEventStore, Set<string>>();

/** Events appended through `runCommand`, counted per stream (which, unlike the global log, shows commits at once). */
export async function countStoredEvents(store: SqlEventStore): Promise<number> {
  let count = 0;
  for (const streamId of appendedStreams.get(store) ?? []) count += (await store.readStream(streamId)).length;
  return count;
}

let clock = Date.parse('2026-03-01T10:00:00.000Z');

/** Runs one command the way the command service does: load, fold, decide, append with the loaded revision. */
export async function runCommand(store: SqlEventStore, orderId: string, command: PedidoCommand): Promise<PedidoEvent[]> {
  const streamId = orderStreamId(orderId);
  if (!appendedStreams.has(store)) appendedStreams.set(store, new Set());
  appendedStreams.get(store)?.add(streamId);
  const stored = await store.readStream(streamId);
  const state = foldPedido(stored.map((event) => ({ type: event.type, data: event.data }) as PedidoEvent));
  clock += 1000;
  const events = decide(command, state, { now: new Date(clock).toISOString(), newId: randomUUID, maxLineQuantity: 1000 });
  if (events.length === 0) return events;
  const correlationId = randomUUID();
  await store.append(
    streamId,
    events.map((event) => ({
      id: randomUUID(),
      type: event.type,
      data: event.data,
      metadata: { occurredAt: occurredAtOf(event), correlationId, causationId: correlationId, schemaVersion: PEDIDO_EVENT_SCHEMA_VERSION },
    })),
    { expectedRevision: stored.length === 0 ? 'no_stream' : stored.length - 1 },
  );
  return events;
}

const eur = (amount: string) => ({ amount, currency: 'EUR' });

export function crearPedido(orderId: string, lines = 2): PedidoCommand {
  return {
    type: 'CrearPedido',
    orderId,
    customerId: `customer-${orderId.slice(0, 8)}`,
    currency: 'EUR',
    shippingAddress: null,
    notes: null,
    items: Array.from({ length: lines }, (_, index) => ({
      itemId: randomUUID(),
      productId: `product-${index + 1}`,
      quantity: index + 1,
      unitPrice: eur('10.00'),
    })),
    shippingTotal: eur('4.90'),
  };
}

/** An order through its whole life: every published type but PedidoCancelado. */
export async function deliveredOrder(store: SqlEventStore, orderId = randomUUID()): Promise<string> {
  await runCommand(store, orderId, crearPedido(orderId));
  await runCommand(store, orderId, { type: 'AgregarProductoAPedido', itemId: randomUUID(), productId: 'product-9', quantity: 1, unitPrice: eur('5.00') });
  const paymentId = randomUUID();
  await runCommand(store, orderId, { type: 'ProcesarPago', paymentId, method: 'card', amount: null });
  await runCommand(store, orderId, { type: 'ConfirmarPago', paymentId, amount: eur('39.90'), method: 'card' });
  await runCommand(store, orderId, { type: 'ReservarInventario', reservationId: null });
  await runCommand(store, orderId, { type: 'MarcarPedidoComoEnviado', carrier: 'Correos', trackingNumber: 'TRACK-1' });
  await runCommand(store, orderId, { type: 'ConfirmarEntrega' });
  return orderId;
}

export async function cancelledOrder(store: SqlEventStore, orderId = randomUUID()): Promise<string> {
  await runCommand(store, orderId, crearPedido(orderId, 1));
  await runCommand(store, orderId, { type: 'CancelarPedido', reason: 'changed my mind' });
  return orderId;
}

export interface ReceivedMessage {
  routingKey: string;
  messageId: string;
  properties: ConsumeMessage['properties'];
  content: string;
  body: { eventId: string; type: string; orderId: string; revision: number; occurredAt: string; data: Record<string, any> };
}

/** A queue bound to `exchange` with `#` that records every message it gets. */
export class Collector {
  readonly messages: ReceivedMessage[] = [];
  private constructor(
    private readonly connection: ChannelModel,
    readonly channel: Channel,
    readonly queue: string,
  ) {}

  static async start(exchange: string): Promise<Collector> {
    const connection = await amqp.connect(rabbitUrl);
    const channel = await connection.createChannel();
    await channel.assertExchange(exchange, 'topic', { durable: true });
    const queue = uniqueName('test.collector');
    await channel.assertQueue(queue, { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, exchange, '#');
    const collector = new Collector(connection, channel, queue);
    await channel.consume(
      queue,
      (message) => {
        if (!message) return;
        const content = message.content.toString('utf8');
        collector.messages.push({
          routingKey: message.fields.routingKey,
          messageId: String(message.properties.messageId),
          properties: message.properties,
          content,
          body: JSON.parse(content),
        });
      },
      { noAck: true },
    );
    return collector;
  }

  async rebind(exchange: string): Promise<void> {
    await this.channel.assertExchange(exchange, 'topic', { durable: true });
    await this.channel.bindQueue(this.queue, exchange, '#');
  }

  distinctIds(): Set<string> {
    return new Set(this.messages.map((message) => message.messageId));
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}

/** Polls `condition` every 20 ms until it holds, or fails after `timeoutMs`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A TCP proxy on 127.0.0.1 in front of RabbitMQ that the test can cut:
 * `cutAfterBytes` destroys the first connection once that many bytes went
 * upstream; `cut()` destroys every open connection. New connections pass.
 */
export class CuttableProxy {
  private readonly sockets = new Set<net.Socket>();
  private upstreamBytes = 0;
  cuts = 0;
  /** While true, new connections are closed at once, as by a broker that is down. */
  refusing = false;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }, options: { cutAfterBytes?: number } = {}): Promise<CuttableProxy> {
    let proxy!: CuttableProxy;
    const server = net.createServer((client) => {
      if (proxy.refusing) {
        client.destroy();
        return;
      }
      const upstream = net.connect(target.port, target.host);
      proxy.sockets.add(client);
      proxy.sockets.add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        proxy.sockets.delete(client);
        proxy.sockets.delete(upstream);
      };
      client.on('error', drop);
      upstream.on('error', drop);
      client.on('close', drop);
      upstream.on('close', drop);
      client.on('data', (chunk) => {
        proxy.upstreamBytes += chunk.length;
        if (options.cutAfterBytes !== undefined && proxy.cuts === 0 && proxy.upstreamBytes >= options.cutAfterBytes) {
          proxy.cuts += 1;
          drop();
          return;
        }
        upstream.write(chunk);
      });
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new CuttableProxy(server, (server.address() as net.AddressInfo).port);
    return proxy;
  }

  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}`;
  }

  cut(): void {
    this.cuts += 1;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
