import { randomUUID } from 'node:crypto';
import { openDatabase, type SqlDatabase } from '../../src/infrastructure/database';
import { metricsRegistry } from '../../src/infrastructure/metrics';
import { migrate } from '../../src/infrastructure/migrations';
import { eventStoreHealthCheck } from '../../src/eventstore/health';
import { EventStoreUnavailableError, type NewEvent } from '../../src/eventstore/port';
import { createSqlEventStore, type SqlEventStore } from '../../src/eventstore/sql-event-store';
import { eventStoreMigrations } from '../../src/eventstore/sql-migrations';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { describeEventStoreContract } from '../contract/event-store.contract';

describeEventStoreContract('PostgreSQL', async () => {
  const database = await createTestDatabase('es_contract');
  const db = await openDatabase({ databaseUrl: database.url, dataDir: 'unused', poolSize: 24 });
  await migrate(db, eventStoreMigrations);
  const store = createSqlEventStore(db);
  return {
    store,
    async close() {
      await store.close();
      await db.close();
      await database.drop();
    },
  };
});

describe('SQL event store on PostgreSQL', () => {
  let database: TestDatabase;
  let db: SqlDatabase;
  let store: SqlEventStore;

  beforeAll(async () => {
    database = await createTestDatabase('es_pg');
    db = await openDatabase({ databaseUrl: database.url, dataDir: 'unused', poolSize: 8 });
    await migrate(db, eventStoreMigrations);
    store = createSqlEventStore(db);
  });

  afterAll(async () => {
    await store?.close();
    await db?.close();
    await database?.drop();
  });

  it('applies migrations once when two instances start together', async () => {
    const fresh = await createTestDatabase('es_migrate');
    const first = await openDatabase({ databaseUrl: fresh.url, dataDir: 'unused', poolSize: 2 });
    const second = await openDatabase({ databaseUrl: fresh.url, dataDir: 'unused', poolSize: 2 });
    try {
      const [appliedByFirst, appliedBySecond] = await Promise.all([
        migrate(first, eventStoreMigrations),
        migrate(second, eventStoreMigrations),
      ]);

      expect([...appliedByFirst, ...appliedBySecond]).toEqual(eventStoreMigrations.map((migration) => migration.id));
      const recorded = await first.query<{ id: string }>('SELECT id FROM schema_migrations');
      expect(recorded.rows.map((row) => row.id)).toEqual(eventStoreMigrations.map((migration) => migration.id));
    } finally {
      await first.close();
      await second.close();
      await fresh.drop();
    }
  });

  it('counts appends by result in the metrics registry', async () => {
    const before = await appendCount('appended');
    const streamId = `metrics-${randomUUID()}`;

    await store.append(streamId, [probeEvent()], { expectedRevision: 'no_stream' });
    await store.append(streamId, [probeEvent()], { expectedRevision: 'no_stream' }).catch(() => undefined);

    expect(await appendCount('appended')).toBe(before + 1);
    expect(await appendCount('conflict')).toBeGreaterThanOrEqual(1);
    const text = await metricsRegistry.metrics();
    expect(text).toContain('ordersvc_eventstore_append_duration_seconds_bucket');
  });

  it('reports the age of a transaction that holds events back', async () => {
    const gate = deferred();
    const entered = deferred();
    const slow = store.append(`held-${randomUUID()}`, [probeEvent()], {
      expectedRevision: 'no_stream',
      withinTransaction: async () => {
        entered.resolve();
        await gate.promise;
      },
    });
    await entered.promise;
    await store.append(`after-${randomUUID()}`, [probeEvent()], { expectedRevision: 'no_stream' });
    await new Promise((resolve) => setTimeout(resolve, 300));

    const whileHeld = await store.pendingTransactionAgeSeconds();
    const gauge = await gaugeValue();
    gate.resolve();
    await slow;
    const afterCommit = await store.pendingTransactionAgeSeconds();

    expect(whileHeld).toBeGreaterThanOrEqual(0.2);
    expect(gauge).toBeGreaterThanOrEqual(0.2);
    expect(afterCommit).toBe(0);
  });

  it('reports an unreachable database as unavailable', async () => {
    // Port 1 on the loopback interface refuses connections.
    const unreachable = await openDatabase({ databaseUrl: 'postgres://postgres@127.0.0.1:1/none', dataDir: 'unused' });
    const offline = createSqlEventStore(unreachable);
    try {
      await expect(offline.append('s', [probeEvent()], { expectedRevision: 'any' })).rejects.toBeInstanceOf(
        EventStoreUnavailableError,
      );
      await expect(offline.readStream('s')).rejects.toBeInstanceOf(EventStoreUnavailableError);
      await expect(offline.readAll(null, 10)).rejects.toBeInstanceOf(EventStoreUnavailableError);
      await expect(offline.ping()).rejects.toBeInstanceOf(EventStoreUnavailableError);
      await expect(eventStoreHealthCheck(offline).check()).resolves.toMatchObject({ status: 'down' });
    } finally {
      await offline.close();
      await unreachable.close();
    }
  });

  it('reports a reachable store as up', async () => {
    await expect(eventStoreHealthCheck(store).check()).resolves.toMatchObject({ status: 'up' });
  });
});

async function appendCount(result: string): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric('ordersvc_eventstore_appends_total')!.get();
  return metric.values.find((value) => value.labels.result === result)?.value ?? 0;
}

async function gaugeValue(): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric('ordersvc_eventstore_oldest_pending_transaction_age_seconds')!.get();
  return metric.values[0]?.value ?? 0;
}

function probeEvent(): NewEvent {
  return { id: randomUUID(), type: 'Probe', data: {}, metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 } };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}
