/**
 * Projection benchmarks, each printed as one JSON line:
 * - `projections.rebuild`: events per second rebuilding every read model
 *   (rebuildAndSwap) from a log of generated, realistic orders.
 * - `projections.lag`: milliseconds from an append's commit until the orders
 *   read model has processed it (p50, p99), under a steady command rate, with
 *   the ProjectionsWorker running as the service runs it.
 *
 * Environment: BENCH_DATABASE_URL (server, default the local one),
 * BENCH_EVENTS (log size for the rebuild, default 300000), BENCH_LAG_SECONDS
 * (default 30), BENCH_COMMAND_RATE (commands per second, default 300).
 */
import { randomUUID } from 'node:crypto';
import { createSqlEventStore, eventStoreMigrations, type SqlEventStore } from '../../src/eventstore';
import type { NewEvent } from '../../src/eventstore/port';
import { openDatabase, type SqlDatabase } from '../../src/infrastructure/database';
import { migrate } from '../../src/infrastructure/migrations';
import { PEDIDO_EVENT_SCHEMA_VERSION, orderStreamId, type PedidoEvent } from '../../src/pedido/events';
import { occurredAtOf } from '../../src/pedido';
import { CHECKPOINT_CHANNEL } from '../../projections/checkpoints';
import { ProjectionsWorker, allProjections, projectionMigrations, rebuildAndSwap } from '../../projections';
import { createTestDatabase } from '../../test/support/postgres';
import { orderLifecycle, seededRandom } from './order-lifecycle';

const APPEND_CONCURRENCY = 16;

function toNewEvents(events: readonly PedidoEvent[]): NewEvent[] {
  return events.map((event) => ({
    id: randomUUID(),
    type: event.type,
    data: event.data,
    metadata: { occurredAt: occurredAtOf(event), schemaVersion: PEDIDO_EVENT_SCHEMA_VERSION },
  }));
}

interface ActiveOrder {
  orderId: string;
  commands: PedidoEvent[][];
  next: number;
  busy: boolean;
}

/**
 * Appends generated orders, each whole history in one append, until at least
 * `target` events are in the log. One append per order keeps the generation
 * short on a loaded machine. The rebuild folds every batch in memory, so how
 * the orders interleave in the log barely changes its rate. The lag benchmark
 * interleaves single commands as production does.
 */
async function generateLog(store: SqlEventStore, target: number): Promise<number> {
  const random = seededRandom(42);
  let createdAtMs = Date.UTC(2024, 0, 1);
  let appended = 0;
  const appendOne = async () => {
    createdAtMs += 30_000 + Math.floor(random() * 60_000);
    const order = orderLifecycle(random, createdAtMs);
    const events = order.commands.flat();
    appended += events.length;
    await store.append(orderStreamId(order.orderId), toNewEvents(events), { expectedRevision: 'no_stream' });
  };
  const workers = Array.from({ length: APPEND_CONCURRENCY }, async () => {
    while (appended < target) await appendOne();
  });
  await Promise.all(workers);
  return appended;
}

async function benchRebuild(db: SqlDatabase, store: SqlEventStore, eventCount: number): Promise<void> {
  const generatedStart = Date.now();
  const appended = await generateLog(store, eventCount);
  const generationSeconds = (Date.now() - generatedStart) / 1000;
  // A production log is old: vacuumed, with hint bits set. Without this the
  // rebuild's first read of fresh rows would also pay for writing hint bits.
  await db.exec('VACUUM (ANALYZE) events');
  const result = await rebuildAndSwap({ db, store, projections: allProjections, batchSize: 5_000 });
  console.log(
    JSON.stringify({
      name: 'projections.rebuild',
      value: Math.round(result.events / result.seconds),
      unit: 'events/s',
      events: result.events,
      projections: allProjections.map((projection) => projection.name),
      seconds: Number(result.seconds.toFixed(2)),
      appendedEvents: appended,
      generationSeconds: Number(generationSeconds.toFixed(1)),
      target: '>= 20000',
    }),
  );
}

function percentileOf(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

/**
 * Issues commands at a steady rate (new orders and steps of orders in
 * progress) and measures, for each append, the time from its commit until the
 * orders projection announces a checkpoint at or past its position.
 */
async function benchLag(db: SqlDatabase, store: SqlEventStore, seconds: number, rate: number): Promise<void> {
  const worker = new ProjectionsWorker({ db, store, runnerOptions: { batchSize: 500 } });
  await worker.start();
  const pending = new Map<string, number>();
  const latencies: number[] = [];
  const unlisten = await db.listen(CHECKPOINT_CHANNEL, (payload) => {
    const [name, position] = payload.split(':');
    if (name !== 'orders') return;
    const now = performance.now();
    for (const [appendedAt, committedAt] of pending) {
      if (appendedAt <= position) {
        latencies.push(now - committedAt);
        pending.delete(appendedAt);
      }
    }
  });

  const random = seededRandom(7);
  let createdAtMs = Date.UTC(2025, 0, 1);
  const inProgress: ActiveOrder[] = [];
  let failures = 0;
  const command = async () => {
    const idle = inProgress.filter((order) => !order.busy);
    let order: ActiveOrder;
    if (idle.length === 0 || random() < 0.15) {
      createdAtMs += 60_000;
      order = { ...orderLifecycle(random, createdAtMs), next: 0, busy: false };
      inProgress.push(order);
    } else {
      order = idle[Math.floor(random() * idle.length)];
    }
    order.busy = true;
    try {
      const expectedRevision = order.next === 0 ? 'no_stream' : order.commands.slice(0, order.next).flat().length - 1;
      const result = await store.append(orderStreamId(order.orderId), toNewEvents(order.commands[order.next]), { expectedRevision });
      pending.set(result.position, performance.now());
      order.next += 1;
      if (order.next === order.commands.length) inProgress.splice(inProgress.indexOf(order), 1);
    } catch {
      failures += 1;
    } finally {
      order.busy = false;
    }
  };

  // Warm up for two seconds, then measure.
  const started = performance.now();
  const warmupMs = 2_000;
  let issued = 0;
  const inFlight = new Set<Promise<void>>();
  while (performance.now() - started < warmupMs + seconds * 1_000) {
    const due = Math.floor(((performance.now() - started) / 1_000) * rate);
    while (issued < due) {
      issued += 1;
      const running = command().finally(() => inFlight.delete(running));
      inFlight.add(running);
    }
    if (performance.now() - started < warmupMs) latencies.length = 0;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await Promise.all(inFlight);
  const drainDeadline = Date.now() + 10_000;
  while (pending.size > 0 && Date.now() < drainDeadline) await new Promise((resolve) => setTimeout(resolve, 20));
  await unlisten();
  await worker.stop();

  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      name: 'projections.lag',
      p50Ms: Number(percentileOf(sorted, 0.5).toFixed(1)),
      p99Ms: Number(percentileOf(sorted, 0.99).toFixed(1)),
      maxMs: Number((sorted[sorted.length - 1] ?? Number.NaN).toFixed(1)),
      samples: sorted.length,
      unmeasured: pending.size,
      failedCommands: failures,
      commandsPerSecond: rate,
      seconds,
      target: 'p99Ms < 200',
    }),
  );
}

export async function run(): Promise<void> {
  const eventCount = Number(process.env.BENCH_EVENTS ?? 300_000);
  const lagSeconds = Number(process.env.BENCH_LAG_SECONDS ?? 30);
  const rate = Number(process.env.BENCH_COMMAND_RATE ?? 300);
  if (process.env.BENCH_DATABASE_URL) process.env.TEST_DATABASE_URL = process.env.BENCH_DATABASE_URL;

  for (const bench of ['rebuild', 'lag'] as const) {
    const testDb = await createTestDatabase('ordersvc_bench_projections');
    const db = await openDatabase({ databaseUrl: testDb.url, dataDir: 'unused', poolSize: APPEND_CONCURRENCY + 4 });
    const store = createSqlEventStore(db);
    try {
      await migrate(db, [...eventStoreMigrations, ...projectionMigrations]);
      if (bench === 'rebuild') await benchRebuild(db, store, eventCount);
      else await benchLag(db, store, lagSeconds, rate);
    } finally {
      await store.close();
      await db.close();
      if (!process.env.BENCH_KEEP_DATABASE) await testDb.drop();
      else console.error(`kept database ${testDb.name}`);
    }
  }
}
