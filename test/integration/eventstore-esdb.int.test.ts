import { randomUUID } from 'node:crypto';
import { openDatabase, type SqlDatabase } from '../../src/infrastructure/database';
import { createEsdbEventStore, type EsdbEventStore, type EsdbEventStoreOptions } from '../../src/eventstore/esdb/esdb-event-store';
import { createEsdbHealthCheck } from '../../src/eventstore/esdb/esdb-health';
import {
  EventStoreUnavailableError,
  EventTooLargeError,
  MAX_EVENT_BYTES,
  WrongExpectedRevisionError,
  comparePositions,
  type NewEvent,
} from '../../src/eventstore/port';
import { describeEventStoreContract } from '../contract/event-store.contract';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { startEsdbTestServer, type EsdbTestServer } from '../esdb-server/server';

// With EVENTSTORE_URL set these tests run against that EventStoreDB; tests
// that stop the server or inject faults need the in-memory test server and
// are skipped then.
const realServerUrl = process.env.EVENTSTORE_URL;
const testServerOnly = realServerUrl ? it.skip : it;

// The contract's streams have many prefixes, so the store's log is every
// stream of its namespace (streamPrefix '') rather than the `pedido-` streams.
describeEventStoreContract(
  realServerUrl ? 'EventStoreDB at EVENTSTORE_URL' : 'EventStoreDB test server',
  async () => {
    const database = await createTestDatabase('esdb_contract');
    const db = await openDatabase({ databaseUrl: database.url, dataDir: 'memory://' });
    const server = realServerUrl ? undefined : await startEsdbTestServer();
    const store = createEsdbEventStore({
      connectionString: realServerUrl ?? server!.connectionString,
      db,
      namespace: `c${randomUUID().replaceAll('-', '')}-`,
      streamPrefix: '',
    });
    return {
      store,
      async close() {
        await store.close();
        await server?.stop();
        await db.close();
        await database.drop();
      },
    };
  },
  // Every attempt costs gRPC round trips, so the concurrency test runs smaller
  // than its default of 16 writers making 500 appends each.
  { transactionalAppends: false, concurrency: { writers: 8, appendsPerWriter: 50, streams: 40 } },
);

function newEvent(type = 'PedidoCreado', data: unknown = { n: 1 }): NewEvent {
  return { id: randomUUID(), type, data, metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 } };
}

function orderStream(): string {
  return `pedido-${randomUUID()}`;
}

// The client appends through BatchAppend when the server offers it, as
// EventStoreDB 21.10 and later do, and through Append otherwise. The test
// server runs both ways.
const servers = realServerUrl
  ? [{ label: 'EventStoreDB at EVENTSTORE_URL', batchAppend: true }]
  : [
      { label: 'test server with BatchAppend', batchAppend: true },
      { label: 'test server with Append only', batchAppend: false },
    ];

describe.each(servers)('EventStoreDB event store on $label', ({ batchAppend }) => {
  let database: TestDatabase;
  let db: SqlDatabase;
  let server: EsdbTestServer | undefined;
  let store: EsdbEventStore;
  const opened: EsdbEventStore[] = [];

  function open(overrides: Partial<EsdbEventStoreOptions> = {}): EsdbEventStore {
    const created = createEsdbEventStore({
      connectionString: realServerUrl ?? server!.connectionString,
      db,
      // Each store reads only its own streams, also on a shared real EventStoreDB.
      namespace: `t${randomUUID().replaceAll('-', '')}-`,
      retry: { attempts: 3, baseDelayMs: 50, maxDelayMs: 200, attemptTimeoutMs: 5_000 },
      maxReconnectDelayMs: 200,
      ...overrides,
    });
    opened.push(created);
    return created;
  }

  beforeAll(async () => {
    database = await createTestDatabase('esdb_adapter');
    db = await openDatabase({ databaseUrl: database.url, dataDir: 'memory://' });
    await db.exec('CREATE TABLE side_effects (stream_id text, next_revision int, position text)');
  });

  afterAll(async () => {
    await db.close();
    await database.drop();
  });

  beforeEach(async () => {
    if (!realServerUrl) server = await startEsdbTestServer({ batchAppend });
    store = open();
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((each) => each.close()));
    await server?.stop();
  });

  describe('conflict mapping', () => {
    it('reports the actual revision of an existing stream', async () => {
      const streamId = orderStream();
      await store.append(streamId, [newEvent(), newEvent()], { expectedRevision: 'no_stream' });

      const conflict = await store.append(streamId, [newEvent()], { expectedRevision: 0 }).catch((error: unknown) => error);

      expect(conflict).toBeInstanceOf(WrongExpectedRevisionError);
      expect((conflict as WrongExpectedRevisionError).streamId).toBe(streamId);
      expect((conflict as WrongExpectedRevisionError).expected).toBe(0);
      expect((conflict as WrongExpectedRevisionError).actual).toBe(1);
    });

    it('reports no_stream for a missing stream', async () => {
      const streamId = orderStream();

      const exact = await store.append(streamId, [newEvent()], { expectedRevision: 3 }).catch((error: unknown) => error);
      const exists = await store.append(streamId, [newEvent()], { expectedRevision: 'stream_exists' }).catch((error: unknown) => error);

      expect(exact).toBeInstanceOf(WrongExpectedRevisionError);
      expect((exact as WrongExpectedRevisionError).actual).toBe('no_stream');
      expect(exists).toBeInstanceOf(WrongExpectedRevisionError);
      expect((exists as WrongExpectedRevisionError).expected).toBe('stream_exists');
      expect((exists as WrongExpectedRevisionError).actual).toBe('no_stream');
    });

    it('rejects no_stream on an existing stream', async () => {
      const streamId = orderStream();
      await store.append(streamId, [newEvent()], { expectedRevision: 'any' });

      const conflict = await store.append(streamId, [newEvent()], { expectedRevision: 'no_stream' }).catch((error: unknown) => error);

      expect(conflict).toBeInstanceOf(WrongExpectedRevisionError);
      expect((conflict as WrongExpectedRevisionError).actual).toBe(0);
      expect(await store.readStream(streamId)).toHaveLength(1);
    });

    testServerOnly('appends through the call the server offers', async () => {
      await store.append(orderStream(), [newEvent()], { expectedRevision: 'no_stream' });

      expect(server!.callCounts.batchAppend > 0).toBe(batchAppend);
      expect(server!.callCounts.append > 0).toBe(!batchAppend);
    });

    it('numbers a new stream from revision 0', async () => {
      const streamId = orderStream();

      const first = await store.append(streamId, [newEvent()], { expectedRevision: 'no_stream' });
      const second = await store.append(streamId, [newEvent(), newEvent()], { expectedRevision: 0 });

      expect(first.nextRevision).toBe(0);
      expect(second.nextRevision).toBe(2);
      expect(comparePositions(first.position, second.position)).toBe(-1);
      expect((await store.readStream(streamId)).map((event) => event.revision)).toEqual([0, 1, 2]);
    });
  });

  describe('idempotent append', () => {
    it('returns the original result without writing', async () => {
      const streamId = orderStream();
      const events = [newEvent(), newEvent()];
      const original = await store.append(streamId, events, { expectedRevision: 'no_stream' });
      await store.append(streamId, [newEvent()], { expectedRevision: 1 });

      const repeated = await store.append(streamId, events, { expectedRevision: 'no_stream' });

      expect(repeated).toEqual(original);
      expect(await store.readStream(streamId)).toHaveLength(3);
    });

    it('skips transactional writes of a repeated append', async () => {
      const streamId = orderStream();
      const events = [newEvent()];
      const record = async (tx: { query: SqlDatabase['query'] }, result: { nextRevision: number; position: string }) => {
        await tx.query('INSERT INTO side_effects VALUES ($1, $2, $3)', [streamId, result.nextRevision, result.position]);
      };

      const original = await store.append(streamId, events, { expectedRevision: 'no_stream', withinTransaction: record });
      await store.append(streamId, events, { expectedRevision: 'no_stream', withinTransaction: record });

      const rows = await db.query<{ next_revision: number; position: string }>('SELECT next_revision, position FROM side_effects WHERE stream_id = $1', [
        streamId,
      ]);
      expect(rows.rows).toEqual([{ next_revision: 0, position: original.position }]);
    });
  });

  describe('global log', () => {
    it('holds only streams with the order prefix', async () => {
      const first = orderStream();
      const second = orderStream();
      await store.append(first, [newEvent('PedidoCreado')], { expectedRevision: 'no_stream' });
      await store.append('carrito-1', [newEvent('Otro')], { expectedRevision: 'any' });
      await store.append(second, [newEvent('PedidoCreado')], { expectedRevision: 'no_stream' });

      const log = await store.readAll(null, 100);

      expect(log.map((event) => event.streamId)).toEqual([first, second]);
      expect(await store.headPosition()).toBe(log[1].position);
    });

    it('pages by position without gaps or repeats', async () => {
      const streamId = orderStream();
      const appended = await store.append(streamId, [newEvent(), newEvent(), newEvent(), newEvent(), newEvent()], {
        expectedRevision: 'no_stream',
      });

      const firstPage = await store.readAll(null, 2);
      const secondPage = await store.readAll(firstPage[1].position, 2);
      const rest = await store.readAll(secondPage[1].position, 10);

      expect([...firstPage, ...secondPage, ...rest].map((event) => event.revision)).toEqual([0, 1, 2, 3, 4]);
      expect(rest.at(-1)?.position).toBe(appended.position);
      expect(await store.readAll(appended.position, 10)).toEqual([]);
    });

    it('starts empty for a new namespace', async () => {
      expect(await store.readAll(null, 10)).toEqual([]);
      expect(await store.headPosition()).toBeNull();
    });

    it('wakes a waiter on a new event', async () => {
      const streamId = orderStream();
      const first = await store.append(streamId, [newEvent()], { expectedRevision: 'no_stream' });

      const waiting = store.waitForEvents(first.position, 30_000);
      await store.append(streamId, [newEvent()], { expectedRevision: 0 });
      await waiting;

      expect(await store.readAll(first.position, 10)).toHaveLength(1);
    });

    it('ends a wait on abort', async () => {
      const controller = new AbortController();
      const waiting = store.waitForEvents(await store.headPosition(), 60_000, controller.signal);

      controller.abort();

      await expect(waiting).resolves.toBeUndefined();
      expect(await store.readAll(null, 10)).toEqual([]);
    });
  });

  describe('event size', () => {
    it('rejects an oversized event before sending', async () => {
      const streamId = orderStream();
      const tooLarge = newEvent('PedidoCreado', { blob: 'x'.repeat(MAX_EVENT_BYTES) });

      const error = await store.append(streamId, [tooLarge], { expectedRevision: 'any' }).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(EventTooLargeError);
      expect(await store.readStream(streamId)).toEqual([]);
    });

    // A real server's limit is its MaxAppendSize setting, which docker compose raises.
    testServerOnly('maps the server append limit to EventTooLargeError', async () => {
      const streamId = orderStream();
      const half = () => newEvent('PedidoCreado', { blob: 'x'.repeat(MAX_EVENT_BYTES / 2 + 1_000) });

      const error = await store.append(streamId, [half(), half()], { expectedRevision: 'any' }).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(EventTooLargeError);
      expect(await store.readStream(streamId)).toEqual([]);
    });
  });

  describe('transactional writes', () => {
    it('commit in PostgreSQL after the append', async () => {
      const streamId = orderStream();

      const result = await store.append(streamId, [newEvent()], {
        expectedRevision: 'no_stream',
        withinTransaction: async (tx, appended) => {
          await tx.query('INSERT INTO side_effects VALUES ($1, $2, $3)', [streamId, appended.nextRevision, appended.position]);
        },
      });

      const rows = await db.query<{ position: string }>('SELECT position FROM side_effects WHERE stream_id = $1', [streamId]);
      expect(rows.rows).toEqual([{ position: result.position }]);
    });
  });

  describe('health', () => {
    it('reports the server up', async () => {
      const status = await createEsdbHealthCheck(store).check();

      expect(status.status).toBe('up');
      expect(status.detail).toContain('EventStoreDB');
    });

    testServerOnly('reports the server down while stopped', async () => {
      await server!.stop();

      const status = await createEsdbHealthCheck(store).check();

      expect(status.status).toBe('down');
    });
  });

  describe('connection loss', () => {
    testServerOnly('reports unavailable, then recovers after a restart', async () => {
      const streamId = orderStream();
      await store.append(streamId, [newEvent()], { expectedRevision: 'no_stream' });
      await server!.stop();

      const failure = await store.append(streamId, [newEvent()], { expectedRevision: 0 }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(EventStoreUnavailableError);
      await expect(store.readStream(streamId)).rejects.toBeInstanceOf(EventStoreUnavailableError);

      await server!.start();
      const appended = await store.append(streamId, [newEvent()], { expectedRevision: 0 });

      expect(appended.nextRevision).toBe(1);
      expect(await store.readStream(streamId)).toHaveLength(2);
    });

    testServerOnly('resumes a wait across a restart', async () => {
      const streamId = orderStream();
      const first = await store.append(streamId, [newEvent()], { expectedRevision: 'no_stream' });

      const waiting = store.waitForEvents(first.position, 60_000);
      await server!.stop();
      await server!.start();
      await store.append(streamId, [newEvent()], { expectedRevision: 0 });
      await waiting;

      const after = await store.readAll(first.position, 10);
      expect(after.map((event) => event.revision)).toEqual([1]);
    });

    testServerOnly('retries through leader changes and unavailability', async () => {
      const streamId = orderStream();
      server!.injectFaults('not-leader', 'unavailable');

      const appended = await store.append(streamId, [newEvent()], { expectedRevision: 'no_stream' });
      server!.injectFaults('deadline-exceeded');
      const events = await store.readStream(streamId);

      expect(appended.nextRevision).toBe(0);
      expect(events.map((event) => event.position)).toEqual([appended.position]);
    });

    testServerOnly('gives up with EventStoreUnavailableError', async () => {
      const streamId = orderStream();
      server!.injectFaults('unavailable', 'unavailable', 'unavailable');

      const failure = await store.append(streamId, [newEvent()], { expectedRevision: 'no_stream' }).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(EventStoreUnavailableError);
      expect(await store.readStream(streamId)).toEqual([]);
    });
  });
});
