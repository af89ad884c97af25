/**
 * Event store throughput under command-style load: each operation reads one
 * stream and appends one event with the revision it read as the expected
 * revision, CONCURRENCY operations at a time over STREAMS streams. The floor
 * is one plain INSERT per operation through `pg`, measured in the same run on
 * the same database with the same connection pool. Floor and store phases alternate for ROUNDS rounds so
 * that a change in machine load hits both alike.
 *
 * Environment: BENCH_DATABASE_URL (server to use, default the local one),
 * BENCH_SECONDS (measured seconds per phase, default 10), BENCH_ROUNDS
 * (default 2), BENCH_CONCURRENCY (default 32).
 */
import { randomUUID } from 'node:crypto';
import { createBenchDatabase, round1 } from './support';
import { openDatabase, type SqlDatabase } from '../../src/infrastructure/database';
import { migrate } from '../../src/infrastructure/migrations';
import { createSqlEventStore, type SqlEventStore } from '../../src/eventstore/sql-event-store';
import { eventStoreMigrations } from '../../src/eventstore/sql-migrations';
import { WrongExpectedRevisionError, type NewEvent } from '../../src/eventstore/port';

const STREAMS = 2_000;
const WARMUP_SECONDS = 2;

interface PhaseResult {
  ops: number;
  conflicts: number;
  seconds: number;
  latenciesMs: number[];
}

export async function run(): Promise<void> {
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);

  const database = await createBenchDatabase('ordersvc_bench');

  let db: SqlDatabase | undefined;
  let store: SqlEventStore | undefined;
  try {
    db = await openDatabase({ databaseUrl: database.url, dataDir: 'unused', poolSize: concurrency });
    await migrate(db, eventStoreMigrations);
    await db.exec(
      'CREATE TABLE bench_floor (id bigserial PRIMARY KEY, event_id uuid NOT NULL, stream_id text NOT NULL, type text NOT NULL, data json NOT NULL, metadata json NOT NULL)',
    );
    store = createSqlEventStore(db);

    const storeOp = commandOperation(store);
    const floorOp = insertOperation(db);
    await runPhase(floorOp, concurrency, WARMUP_SECONDS);
    await runPhase(storeOp, concurrency, WARMUP_SECONDS);

    const floorPhases: PhaseResult[] = [];
    const storePhases: PhaseResult[] = [];
    for (let round = 0; round < rounds; round += 1) {
      floorPhases.push(await runPhase(floorOp, concurrency, seconds));
      storePhases.push(await runPhase(storeOp, concurrency, seconds));
    }

    const floor = opsPerSecond(floorPhases);
    const value = opsPerSecond(storePhases);
    console.log(
      JSON.stringify({
        bench: 'eventstore.append',
        value: round1(value),
        unit: 'ops/s',
        floor: round1(floor),
        ratio: Math.round((value / floor) * 1000) / 1000,
        p99Ms: round1(percentile(storePhases.flatMap((phase) => phase.latenciesMs), 0.99)),
        floorP99Ms: round1(percentile(floorPhases.flatMap((phase) => phase.latenciesMs), 0.99)),
        conflicts: storePhases.reduce((sum, phase) => sum + phase.conflicts, 0),
        concurrency,
        streams: STREAMS,
        seconds: seconds * rounds,
      }),
    );
  } finally {
    await store?.close();
    await db?.close();
    await database.drop();
  }
}

type Operation = () => Promise<'ok' | 'conflict'>;

/** Read a random stream, then append one event expecting the revision just read. */
function commandOperation(store: SqlEventStore): Operation {
  return async () => {
    const streamId = `bench-${Math.floor(Math.random() * STREAMS)}`;
    const events = await store.readStream(streamId);
    const last = events.at(-1);
    try {
      await store.append(streamId, [sampleEvent()], { expectedRevision: last ? last.revision : 'no_stream' });
      return 'ok';
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) return 'conflict';
      throw error;
    }
  };
}

/**
 * The floor: one plain INSERT of a comparable row, committed on its own,
 * through the same `pg` pool as the store so that both use the same
 * connections (the server's connection limit is shared with other users).
 */
function insertOperation(db: SqlDatabase): Operation {
  return async () => {
    const event = sampleEvent();
    await db.query('INSERT INTO bench_floor (event_id, stream_id, type, data, metadata) VALUES ($1, $2, $3, $4, $5)', [
      event.id,
      `bench-${Math.floor(Math.random() * STREAMS)}`,
      event.type,
      JSON.stringify(event.data),
      JSON.stringify(event.metadata),
    ]);
    return 'ok';
  };
}

async function runPhase(operation: Operation, concurrency: number, seconds: number): Promise<PhaseResult> {
  const result: PhaseResult = { ops: 0, conflicts: 0, seconds: 0, latenciesMs: [] };
  const startedAt = performance.now();
  const endAt = startedAt + seconds * 1_000;
  const worker = async (): Promise<void> => {
    while (performance.now() < endAt) {
      const opStartedAt = performance.now();
      const outcome = await operation();
      if (outcome === 'conflict') {
        result.conflicts += 1;
        continue;
      }
      result.ops += 1;
      result.latenciesMs.push(performance.now() - opStartedAt);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  result.seconds = (performance.now() - startedAt) / 1_000;
  return result;
}

// An event about the size of an order's creation: a few lines and an address.
function sampleEvent(): NewEvent {
  return {
    id: randomUUID(),
    type: 'ProductoAgregado',
    data: {
      orderId: randomUUID(),
      itemId: randomUUID(),
      productId: `prod-${Math.floor(Math.random() * 500)}`,
      quantity: 2,
      unitPrice: { amount: '34.90', currency: 'EUR' },
      addedAt: new Date().toISOString(),
      shippingAddress: { street: 'Calle Mayor 1', city: 'Madrid', postalCode: '28013', country: 'ES' },
    },
    metadata: { occurredAt: new Date().toISOString(), correlationId: randomUUID(), schemaVersion: 1 },
  };
}

function opsPerSecond(phases: PhaseResult[]): number {
  const ops = phases.reduce((sum, phase) => sum + phase.ops, 0);
  const seconds = phases.reduce((sum, phase) => sum + phase.seconds, 0);
  return ops / seconds;
}

function percentile(values: number[], fraction: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}


