/**
 * Relay throughput on a backlog: BENCH_RELAY_EVENTS stored order events
 * (default 100,000, in orders of about ten events each) are published by the
 * relay from an empty checkpoint until the checkpoint reaches the head. The
 * floor is amqplib publishing the same message bodies on a confirm channel
 * in batches of the same size, one wait for confirms per batch, measured in
 * the same run against the same broker. Neither exchange has a queue bound,
 * so the broker confirms and drops every message alike.
 *
 * Isolation: its own vhost when `rabbitmqctl add_vhost` works here (else the
 * default vhost with unique exchange names), and its own database.
 * Environment: BENCH_RABBITMQ_URL (broker, default the local one; used as
 * given, with unique exchange names), BENCH_DATABASE_URL (server, default the
 * local one), BENCH_RELAY_EVENTS, BENCH_RELAY_BATCH (default 1000).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { createBenchDatabase, round1 } from './support';
import { createSqlEventStore, eventStoreMigrations, type NewEvent, type SqlEventStore } from '../../src/eventstore';
import { openDatabase, type SqlDatabase } from '../../src/infrastructure/database';
import { migrate } from '../../src/infrastructure/migrations';
import { PublishedEventMapper, type OutgoingMessage } from '../../src/messaging/contracts';
import { messagingMigrations } from '../../src/messaging/migrations';
import { pedidoFold } from '../../src/messaging/pedido-fold';
import { RelayWorker, readCheckpoint } from '../../src/messaging/relay';
import {
  PEDIDO_EVENT_SCHEMA_VERSION,
  decide,
  evolve,
  initialPedidoState,
  occurredAtOf,
  orderStreamId,
  type PedidoCommand,
  type PedidoEvent,
  type PedidoState,
} from '../../src/pedido';

const APPEND_CONCURRENCY = 8;

export async function run(): Promise<void> {
  const eventCount = Number(process.env.BENCH_RELAY_EVENTS ?? 100_000);
  const batchSize = Number(process.env.BENCH_RELAY_BATCH ?? 1000);
  const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

  const broker = openBrokerScope(suffix);
  const database = await createBenchDatabase('ordersvc_bench_relay');

  let db: SqlDatabase | undefined;
  let store: SqlEventStore | undefined;
  try {
    db = await openDatabase({ databaseUrl: database.url, dataDir: 'unused', poolSize: APPEND_CONCURRENCY + 4 });
    await migrate(db, [...eventStoreMigrations, ...messagingMigrations]);
    store = createSqlEventStore(db);

    // 1. The backlog, appended one order per transaction.
    const appended = await appendBacklog(store, eventCount);
    await waitForLog(store, appended);

    // 2. The floor: the relay's own message bodies, published by plain amqplib with batched confirms.
    const mapStartedAt = performance.now();
    const messages = await mapWholeLog(store, batchSize);
    const readAndMapSeconds = (performance.now() - mapStartedAt) / 1000;
    const floor = await publishFloor(broker.url, `bench.floor.${suffix}`, messages, batchSize);

    // 3. The relay from an empty checkpoint until it reaches the head of the log.
    const exchange = `bench.ordersvc.events.${suffix}`;
    const relay = new RelayWorker({ db, store, fold: pedidoFold, rabbitmqUrl: broker.url, exchange, batchSize, idleWaitMs: 50 });
    const head = await store.headPosition();
    const startedAt = performance.now();
    await relay.start();
    while ((await readCheckpoint(db, exchange)) !== head) await new Promise((resolve) => setTimeout(resolve, 20));
    const relaySeconds = (performance.now() - startedAt) / 1000;
    await relay.stop();
    await deleteExchanges(broker.url, [exchange, `bench.floor.${suffix}`]);

    const value = messages.length / relaySeconds;
    const floorValue = messages.length / floor;
    console.log(
      JSON.stringify({
        bench: 'relay.publish',
        value: round1(value),
        unit: 'msgs/s',
        floor: round1(floorValue),
        ratio: Math.round((value / floorValue) * 1000) / 1000,
        target: 0.7,
        events: messages.length,
        batchSize,
        relaySeconds: round1(relaySeconds),
        floorSeconds: round1(floor),
        // Reading and mapping the whole log without publishing: the relay's own CPU cost next to the broker's.
        readAndMapSeconds: round1(readAndMapSeconds),
        vhost: broker.vhost,
      }),
    );
  } finally {
    await store?.close();
    await db?.close();
    await database.drop();
    broker.drop();
  }
}

interface BrokerScope {
  url: string;
  vhost: string;
  drop(): void;
}

/** Creates a vhost of its own through rabbitmqctl when possible, else uses the default vhost. */
function openBrokerScope(suffix: string): BrokerScope {
  if (process.env.BENCH_RABBITMQ_URL) return { url: process.env.BENCH_RABBITMQ_URL, vhost: '(from BENCH_RABBITMQ_URL)', drop: () => undefined };
  const vhost = `ordersvc_bench_${suffix}`;
  try {
    execFileSync('rabbitmqctl', ['-q', 'add_vhost', vhost], { stdio: 'ignore' });
    execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*'], { stdio: 'ignore' });
    return {
      url: `amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(vhost)}`,
      vhost,
      drop: () => execFileSync('rabbitmqctl', ['-q', 'delete_vhost', vhost], { stdio: 'ignore' }),
    };
  } catch {
    return { url: 'amqp://guest:guest@127.0.0.1:5672', vhost: '/', drop: () => undefined };
  }
}

/** Builds one order's life as the command path would store it: about ten events. */
function orderEvents(orderId: string, now: string): PedidoEvent[] {
  const money = (amount: string) => ({ amount, currency: 'EUR' });
  const paymentId = randomUUID();
  const commands: PedidoCommand[] = [
    {
      type: 'CrearPedido',
      orderId,
      customerId: `C-${orderId.slice(0, 6)}`,
      currency: 'EUR',
      shippingAddress: null,
      notes: null,
      items: [1, 2, 3].map((index) => ({ itemId: randomUUID(), productId: `P-${index}`, quantity: index, unitPrice: money('9.95') })),
      shippingTotal: money('4.90'),
    },
    { type: 'ProcesarPago', paymentId, method: 'card', amount: null },
    { type: 'ConfirmarPago', paymentId, amount: money('64.60'), method: 'card' },
    { type: 'ReservarInventario', reservationId: null },
    { type: 'MarcarPedidoComoEnviado', carrier: 'Correos', trackingNumber: 'T-1' },
    { type: 'ConfirmarEntrega' },
  ];
  let state: PedidoState = initialPedidoState;
  const events: PedidoEvent[] = [];
  for (const command of commands) {
    for (const event of decide(command, state, { now, newId: randomUUID, maxLineQuantity: 1000 })) {
      events.push(event);
      state = evolve(state, event);
    }
  }
  return events;
}

async function appendBacklog(store: SqlEventStore, eventCount: number): Promise<number> {
  let appended = 0;
  const now = new Date().toISOString();
  const worker = async () => {
    while (appended < eventCount) {
      const orderId = randomUUID();
      const events = orderEvents(orderId, now).slice(0, eventCount - appended);
      appended += events.length;
      const stored: NewEvent[] = events.map((event) => ({
        id: randomUUID(),
        type: event.type,
        data: event.data,
        metadata: { occurredAt: occurredAtOf(event), correlationId: orderId, causationId: orderId, schemaVersion: PEDIDO_EVENT_SCHEMA_VERSION },
      }));
      await store.append(orderStreamId(orderId), stored, { expectedRevision: 'no_stream' });
    }
  };
  await Promise.all(Array.from({ length: APPEND_CONCURRENCY }, worker));
  return appended;
}

/** Waits until the global log shows every appended event, because the store delays events while older transactions on the server are open. */
async function waitForLog(store: SqlEventStore, expected: number): Promise<void> {
  for (;;) {
    let count = 0;
    let after: string | null = null;
    for (;;) {
      const page = await store.readAll(after, 10_000);
      if (page.length === 0) break;
      count += page.length;
      after = page[page.length - 1].position;
    }
    if (count >= expected) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function mapWholeLog(store: SqlEventStore, batchSize: number): Promise<OutgoingMessage[]> {
  const mapper = new PublishedEventMapper(pedidoFold, store);
  const messages: OutgoingMessage[] = [];
  let after: string | null = null;
  for (;;) {
    const batch = await store.readAll(after, batchSize);
    if (batch.length === 0) return messages;
    messages.push(...(await mapper.map(batch)));
    after = batch[batch.length - 1].position;
  }
}

/** Seconds taken to publish every message in batches, waiting for the broker's confirms once per batch. */
async function publishFloor(url: string, exchange: string, messages: readonly OutgoingMessage[], batchSize: number): Promise<number> {
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createConfirmChannel();
    await channel.assertExchange(exchange, 'topic', { durable: true });
    const startedAt = performance.now();
    for (let start = 0; start < messages.length; start += batchSize) {
      for (const message of messages.slice(start, start + batchSize)) {
        if (!channel.publish(exchange, message.routingKey, message.content, message.options)) {
          await new Promise((resolve) => channel.once('drain', resolve));
        }
      }
      await channel.waitForConfirms();
    }
    return (performance.now() - startedAt) / 1000;
  } finally {
    await connection.close();
  }
}

async function deleteExchanges(url: string, exchanges: string[]): Promise<void> {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  for (const exchange of exchanges) await channel.deleteExchange(exchange).catch(() => undefined);
  await connection.close().catch(() => undefined);
}


