/**
 * Behaviour every EventStore adapter must have. An adapter's integration test
 * calls `describeEventStoreContract` with a function that opens a store on a
 * fresh, empty database.
 */
import { randomUUID } from 'node:crypto';
import {
  EventTooLargeError,
  MAX_EVENT_BYTES,
  WrongExpectedRevisionError,
  comparePositions,
  isPosition,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type Position,
  type RecordedEvent,
} from '../../src/eventstore/port';

export interface OpenedEventStore {
  store: EventStore;
  close(): Promise<void>;
}

export interface EventStoreContractOptions {
  /**
   * Whether `withinTransaction` runs inside the append's own transaction, so a
   * callback that waits keeps the events uncommitted and one that throws rolls
   * them back (true for the SQL adapters).
   */
  transactionalAppends?: boolean;
  /**
   * Whether one append's transaction can stay open while another commits
   * (false for PGlite, whose single connection runs one transaction at a time).
   */
  concurrentTransactions?: boolean;
  /** Size of the concurrency test; the defaults are the full size. */
  concurrency?: { writers?: number; appendsPerWriter?: number; streams?: number; holdMs?: number };
}

export function describeEventStoreContract(
  name: string,
  open: () => Promise<OpenedEventStore>,
  options: EventStoreContractOptions = {},
): void {
  const transactional = options.transactionalAppends ?? true;
  const itIfTransactional = transactional ? it : it.skip;
  const itIfConcurrentTransactions = transactional && (options.concurrentTransactions ?? true) ? it : it.skip;

  describe(`EventStore contract: ${name}`, () => {
    let opened: OpenedEventStore;
    let store: EventStore;

    beforeAll(async () => {
      opened = await open();
      store = opened.store;
    });

    afterAll(async () => {
      await opened?.close();
    });

    describe('append and readStream', () => {
      it('appends to a new stream and reads it back', async () => {
        const streamId = uniqueStream('order');
        const events = [newEvent('PedidoCreado', { total: 10 }), newEvent('ProductoAgregado', { sku: 'A' })];

        const result = await store.append(streamId, events, { expectedRevision: 'no_stream' });
        const read = await store.readStream(streamId);

        expect(result.nextRevision).toBe(1);
        expect(isPosition(result.position)).toBe(true);
        expect(read.map((event) => event.id)).toEqual(events.map((event) => event.id));
        expect(read.map((event) => event.revision)).toEqual([0, 1]);
        expect(read[1]!.position).toBe(result.position);
        expect(comparePositions(read[0]!.position, read[1]!.position)).toBe(-1);
        expect(read[0]).toMatchObject({ streamId, type: 'PedidoCreado', data: { total: 10 }, metadata: events[0]!.metadata });
        expect(Number.isNaN(Date.parse(read[0]!.recordedAt))).toBe(false);
      });

      it('reads from a revision with a maximum count', async () => {
        const streamId = uniqueStream('order');
        await store.append(streamId, manyEvents(5), { expectedRevision: 'no_stream' });

        const middle = await store.readStream(streamId, { fromRevision: 2, maxCount: 2 });
        const rest = await store.readStream(streamId, { fromRevision: 3 });

        expect(middle.map((event) => event.revision)).toEqual([2, 3]);
        expect(rest.map((event) => event.revision)).toEqual([3, 4]);
      });

      it('reads an unknown stream as empty', async () => {
        await expect(store.readStream(uniqueStream('missing'))).resolves.toEqual([]);
        await expect(store.readStreamTail(uniqueStream('missing'), 3)).resolves.toEqual([]);
      });

      it('reads the tail of a stream in revision order', async () => {
        const streamId = uniqueStream('order');
        await store.append(streamId, manyEvents(6), { expectedRevision: 'no_stream' });

        const tail = await store.readStreamTail(streamId, 2);
        const whole = await store.readStreamTail(streamId, 50);

        expect(tail.map((event) => event.revision)).toEqual([4, 5]);
        expect(whole.map((event) => event.revision)).toEqual([0, 1, 2, 3, 4, 5]);
      });

      it('continues revisions across appends', async () => {
        const streamId = uniqueStream('order');
        await store.append(streamId, manyEvents(2), { expectedRevision: 'no_stream' });
        const second = await store.append(streamId, manyEvents(3), { expectedRevision: 1 });

        expect(second.nextRevision).toBe(4);
        expect((await store.readStream(streamId)).map((event) => event.revision)).toEqual([0, 1, 2, 3, 4]);
      });
    });

    describe('expected revision', () => {
      const cases: { title: string; existing: number; expected: ExpectedRevision; actual: number | 'no_stream' | null }[] = [
        { title: 'no_stream on a new stream', existing: 0, expected: 'no_stream', actual: null },
        { title: 'no_stream on an existing stream', existing: 2, expected: 'no_stream', actual: 1 },
        { title: 'any on a new stream', existing: 0, expected: 'any', actual: null },
        { title: 'any on an existing stream', existing: 2, expected: 'any', actual: null },
        { title: 'stream_exists on a new stream', existing: 0, expected: 'stream_exists', actual: 'no_stream' },
        { title: 'stream_exists on an existing stream', existing: 2, expected: 'stream_exists', actual: null },
        { title: 'the current revision', existing: 3, expected: 2, actual: null },
        { title: 'an older revision', existing: 3, expected: 1, actual: 2 },
        { title: 'a revision ahead of the stream', existing: 3, expected: 5, actual: 2 },
        { title: 'revision 0 on a new stream', existing: 0, expected: 0, actual: 'no_stream' },
      ];

      it.each(cases)('$title', async ({ existing, expected, actual }) => {
        const streamId = uniqueStream('expected');
        if (existing > 0) await store.append(streamId, manyEvents(existing), { expectedRevision: 'no_stream' });

        const attempt = store.append(streamId, [newEvent('Probe')], { expectedRevision: expected });

        if (actual === null) {
          await expect(attempt).resolves.toMatchObject({ nextRevision: existing });
          expect(await store.readStream(streamId)).toHaveLength(existing + 1);
        } else {
          const error = await attempt.then(
            () => undefined,
            (caught: unknown) => caught,
          );
          expect(error).toBeInstanceOf(WrongExpectedRevisionError);
          expect(error).toMatchObject({ streamId, expected, actual });
          expect(await store.readStream(streamId)).toHaveLength(existing);
        }
      });
    });

    describe('idempotent append', () => {
      it('returns the original result for the same events and expected revision', async () => {
        const streamId = uniqueStream('idempotent');
        await store.append(streamId, manyEvents(1), { expectedRevision: 'no_stream' });
        const events = manyEvents(2);

        const first = await store.append(streamId, events, { expectedRevision: 0 });
        const again = await store.append(streamId, events, { expectedRevision: 0 });

        expect(again).toEqual(first);
        expect(await store.readStream(streamId)).toHaveLength(3);
      });

      it('returns the original result for a new stream appended twice', async () => {
        const streamId = uniqueStream('idempotent');
        const events = manyEvents(2);

        const first = await store.append(streamId, events, { expectedRevision: 'no_stream' });
        const again = await store.append(streamId, events, { expectedRevision: 'no_stream' });

        expect(again).toEqual(first);
        expect(await store.readStream(streamId)).toHaveLength(2);
      });

      it('writes nothing twice with expected revision any', async () => {
        const streamId = uniqueStream('idempotent');
        const events = manyEvents(2);

        const first = await store.append(streamId, events, { expectedRevision: 'any' });
        const again = await store.append(streamId, events, { expectedRevision: 'any' });

        expect(again).toEqual(first);
        expect(await store.readStream(streamId)).toHaveLength(2);
      });

      it('rejects stored events with another expected revision', async () => {
        const streamId = uniqueStream('idempotent');
        const events = manyEvents(1);
        await store.append(streamId, events, { expectedRevision: 'no_stream' });
        await store.append(streamId, manyEvents(1), { expectedRevision: 0 });

        await expect(store.append(streamId, events, { expectedRevision: 1 })).rejects.toBeInstanceOf(WrongExpectedRevisionError);
        expect(await store.readStream(streamId)).toHaveLength(2);
      });

      it('re-appends concurrently with one write', async () => {
        const streamId = uniqueStream('idempotent');
        const events = manyEvents(2);

        const results = await Promise.all(
          Array.from({ length: 6 }, () => store.append(streamId, events, { expectedRevision: 'no_stream' })),
        );

        for (const result of results) expect(result).toEqual(results[0]);
        expect(await store.readStream(streamId)).toHaveLength(2);
      });
    });

    describe('payloads', () => {
      it('keeps unicode data, types and stream ids intact', async () => {
        const streamId = uniqueStream('pedido-ñandú-東京-😀');
        const data = {
          name: 'Ünïcödé 東京 مرحبا עברית 😀👩‍👩‍👧 e\u0301',
          quotes: 'He said "hi" and \\ left\n\ttab',
          nested: { emoji: ['🇪🇸', '🎉'], zeroWidth: 'a\u200bb', astral: '𝔘𝔫𝔦' },
        };
        const event = newEvent('PedidoCreadoÑ', data);

        await store.append(streamId, [event], { expectedRevision: 'no_stream' });
        const [read] = await store.readStream(streamId);

        expect(read?.streamId).toBe(streamId);
        expect(read?.type).toBe('PedidoCreadoÑ');
        expect(read?.data).toEqual(data);
      });

      it('stores an event of exactly the maximum size', async () => {
        const streamId = uniqueStream('large');
        const event = eventOfBytes(MAX_EVENT_BYTES);

        await store.append(streamId, [event], { expectedRevision: 'no_stream' });
        const [read] = await store.readStream(streamId);

        expect(read?.data).toEqual(event.data);
      });

      it('rejects an event one byte over the maximum', async () => {
        const streamId = uniqueStream('large');
        const event = eventOfBytes(MAX_EVENT_BYTES + 1);

        const error = await store.append(streamId, [event], { expectedRevision: 'no_stream' }).catch((caught: unknown) => caught);

        expect(error).toBeInstanceOf(EventTooLargeError);
        expect(error).toMatchObject({ streamId, eventType: event.type, bytes: MAX_EVENT_BYTES + 1 });
        expect(await store.readStream(streamId)).toEqual([]);
      });

      it('rejects the whole batch when one event is too large', async () => {
        const streamId = uniqueStream('large');

        await expect(
          store.append(streamId, [newEvent('Small'), eventOfBytes(MAX_EVENT_BYTES + 10)], { expectedRevision: 'no_stream' }),
        ).rejects.toBeInstanceOf(EventTooLargeError);
        expect(await store.readStream(streamId)).toEqual([]);
      });
    });

    describe('global log', () => {
      it('reads every stream in one order from a position', async () => {
        const start = await store.headPosition();
        const a = uniqueStream('log');
        const b = uniqueStream('log');
        await store.append(a, manyEvents(2), { expectedRevision: 'no_stream' });
        await store.append(b, manyEvents(1), { expectedRevision: 'no_stream' });
        await store.append(a, manyEvents(1), { expectedRevision: 1 });

        const all = await readUntilQuiet(store, start);
        const mine = all.filter((event) => event.streamId === a || event.streamId === b);

        expect(mine.map((event) => `${event.streamId === a ? 'a' : 'b'}${event.revision}`)).toEqual(['a0', 'a1', 'b0', 'a2']);
        expectStrictlyIncreasing(all.map((event) => event.position));
        expect(await store.headPosition()).toBe(all.at(-1)?.position);
      });

      it('pages with a limit and a position', async () => {
        const start = await store.headPosition();
        const streamId = uniqueStream('log');
        await store.append(streamId, manyEvents(5), { expectedRevision: 'no_stream' });

        const firstPage = await store.readAll(start, 2);
        const secondPage = await store.readAll(firstPage.at(-1)!.position, 2);

        expect(firstPage).toHaveLength(2);
        expect(secondPage).toHaveLength(2);
        expect(comparePositions(firstPage[1]!.position, secondPage[0]!.position)).toBe(-1);
      });

      it('wakes a waiter when events are appended', async () => {
        const head = await store.headPosition();
        const streamId = uniqueStream('wait');

        const waiting = store.waitForEvents(head, 30_000);
        setTimeout(() => void store.append(streamId, manyEvents(1), { expectedRevision: 'no_stream' }), 50);
        await waiting;
        const events = await readUntilQuiet(store, head);

        expect(events.some((event) => event.streamId === streamId)).toBe(true);
      });

      it('returns from a wait on timeout and on abort', async () => {
        const head = await store.headPosition();
        const controller = new AbortController();

        await store.waitForEvents(head, 100);
        const aborted = store.waitForEvents(head, 60_000, controller.signal);
        controller.abort();

        await expect(aborted).resolves.toBeUndefined();
      });

      itIfConcurrentTransactions('does not pass an open transaction that commits late', async () => {
        const head = await store.headPosition();
        const early = uniqueStream('late');
        const later = uniqueStream('late');
        const gate = deferred();
        const entered = deferred();

        const slowAppend = store.append(early, manyEvents(1), {
          expectedRevision: 'no_stream',
          withinTransaction: async () => {
            entered.resolve();
            await gate.promise;
          },
        });
        await entered.promise;
        await store.append(later, manyEvents(1), { expectedRevision: 'no_stream' });

        const whileOpen = await store.readAll(head, 100);
        gate.resolve();
        await slowAppend;
        const afterCommit = await readUntilQuiet(store, head);

        expect(whileOpen.filter((event) => event.streamId === early || event.streamId === later)).toEqual([]);
        expect(afterCommit.map((event) => event.streamId).filter((id) => id === early || id === later)).toEqual([early, later]);
      });

      itIfTransactional('does not stall behind a rolled-back append', async () => {
        const head = await store.headPosition();
        const failed = uniqueStream('rollback');
        const after = uniqueStream('rollback');
        const failure = new Error('callback failed');

        const rolledBack = store.append(failed, manyEvents(2), {
          expectedRevision: 'no_stream',
          withinTransaction: async () => {
            throw failure;
          },
        });
        await expect(rolledBack).rejects.toBe(failure);
        await store.append(after, manyEvents(1), { expectedRevision: 'no_stream' });
        await store.waitForEvents(head, 30_000);
        const events = await store.readAll(head, 100);

        expect(await store.readStream(failed)).toEqual([]);
        expect(events.map((event) => event.streamId)).toContain(after);
        expect(events.map((event) => event.streamId)).not.toContain(failed);
      });

      it('reports the transaction of withinTransaction with the append result', async () => {
        const streamId = uniqueStream('within');
        let seen: AppendResult | undefined;

        const result = await store.append(streamId, manyEvents(2), {
          expectedRevision: 'no_stream',
          withinTransaction: async (tx, appended) => {
            seen = appended;
            await tx.query('SELECT 1');
          },
        });

        expect(seen).toEqual(result);
      });
    });

    describe('concurrency', () => {
      it('gives exactly one winner per revision to conflicting appends', async () => {
        const streamId = uniqueStream('conflict');
        await store.append(streamId, manyEvents(1), { expectedRevision: 'no_stream' });

        for (let revision = 0; revision < 8; revision += 1) {
          const attempts = await Promise.allSettled(
            Array.from({ length: 6 }, () => store.append(streamId, manyEvents(1), { expectedRevision: revision })),
          );

          const winners = attempts.filter((attempt) => attempt.status === 'fulfilled');
          const losers = attempts.filter((attempt): attempt is PromiseRejectedResult => attempt.status === 'rejected');
          expect(winners).toHaveLength(1);
          for (const loser of losers) {
            expect(loser.reason).toBeInstanceOf(WrongExpectedRevisionError);
            expect(loser.reason).toMatchObject({ streamId, expected: revision, actual: revision + 1 });
          }
        }
        expect((await store.readStream(streamId)).map((event) => event.revision)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
      });

      it('lets a reader follow concurrent writers without loss, repeats or disorder', async () => {
        const size = {
          writers: options.concurrency?.writers ?? 16,
          appendsPerWriter: options.concurrency?.appendsPerWriter ?? 500,
          streams: options.concurrency?.streams ?? 200,
          holdMs: options.concurrency?.holdMs ?? 30,
        };
        const prefix = uniqueStream('load');
        const streamIds = Array.from({ length: size.streams }, (_, index) => `${prefix}-${index}`);
        const start = await store.headPosition();
        const committed = new Map<string, RecordedEvent['id'][]>();
        let writersDone = false;

        const follower = followLog(store, start, (event) => event.streamId.startsWith(`${prefix}-`), () =>
          writersDone ? [...committed.values()].reduce((sum, ids) => sum + ids.length, 0) : undefined,
        );
        const writers = Array.from({ length: size.writers }, (_, writer) =>
          runWriter(store, { writer, streamIds, appends: size.appendsPerWriter, holdMs: size.holdMs, transactional, committed }),
        );
        await Promise.all(writers);
        writersDone = true;
        const followed = await follower;

        const expectedIds = [...committed.values()].flat();
        const followedIds = new Set(followed.map((event) => event.id));
        const describeEvent = (event: RecordedEvent): string => `${event.streamId}@${event.revision} ${event.position}`;
        expect(followed.filter((event) => !committed.get(event.streamId)?.includes(event.id)).map(describeEvent)).toEqual([]);
        expect(expectedIds.filter((id) => !followedIds.has(id))).toEqual([]);
        expect(followedIds.size).toBe(followed.length);
        expect(followed).toHaveLength(expectedIds.length);
        expectStrictlyIncreasing(followed.map((event) => event.position));
        for (const streamId of streamIds) {
          const inLog = followed.filter((event) => event.streamId === streamId);
          expect(inLog.map((event) => event.revision)).toEqual(inLog.map((_, index) => index));
          expect(inLog.map((event) => event.id)).toEqual(committed.get(streamId) ?? []);
        }
        const settled = (await readUntilQuiet(store, start)).filter((event) => event.streamId.startsWith(`${prefix}-`));
        expect(settled.map((event) => event.id)).toEqual(followed.map((event) => event.id));
      }, 240_000);
    });
  });
}

interface WriterPlan {
  writer: number;
  streamIds: string[];
  appends: number;
  holdMs: number;
  transactional: boolean;
  /** Ids of the committed events of each stream, in revision order; filled by the writers. */
  committed: Map<string, string[]>;
}

/**
 * Makes `appends` successful appends to random streams, each with the
 * revision just read as the expected revision, retrying after a conflict.
 * Writers 0 and 1 keep some transactions open for a while (writer 0 longer),
 * writer 2 makes some appends whose transaction fails and rolls back, and
 * every seventh append carries two events. A conflict is retried on a fresh
 * read and does not count as an append.
 */
async function runWriter(store: EventStore, plan: WriterPlan): Promise<void> {
  for (let count = 0; count < plan.appends; ) {
    const streamId = plan.streamIds[Math.floor(Math.random() * plan.streamIds.length)]!;
    const [last] = await store.readStreamTail(streamId, 1);
    const events = manyEvents(count % 7 === 0 ? 2 : 1);
    const holdMs = plan.transactional && plan.writer < 2 && count % 10 === 0 ? plan.holdMs * (2 - plan.writer) : 0;
    const failing = plan.transactional && plan.writer === 2 && count % 25 === 0;

    try {
      await store.append(streamId, events, {
        expectedRevision: last ? last.revision : 'no_stream',
        ...(holdMs > 0 || failing
          ? {
              withinTransaction: async (tx) => {
                if (failing) throw new RolledBack();
                await tx.query('SELECT pg_sleep($1)', [holdMs / 1000]);
              },
            }
          : {}),
      });
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) continue;
      if (error instanceof RolledBack) {
        count += 1;
        continue;
      }
      throw error;
    }

    const ids = plan.committed.get(streamId) ?? [];
    ids.push(...events.map((event) => event.id));
    plan.committed.set(streamId, ids);
    count += 1;
  }
}

class RolledBack extends Error {}

/**
 * Follows the global log from `start` with readAll and waitForEvents, keeping
 * the events `mine` selects, until `expectedCount()` says how many to expect
 * and that many have arrived. Fails when they have not all arrived 30 seconds
 * after the count became known.
 */
async function followLog(
  store: EventStore,
  start: Position | null,
  mine: (event: RecordedEvent) => boolean,
  expectedCount: () => number | undefined,
): Promise<RecordedEvent[]> {
  const collected: RecordedEvent[] = [];
  let deadline: number | undefined;
  let position = start;
  for (;;) {
    const batch = await store.readAll(position, 500);
    for (const event of batch) if (mine(event)) collected.push(event);
    if (batch.length > 0) {
      position = batch.at(-1)!.position;
      continue;
    }
    const expected = expectedCount();
    if (expected !== undefined) {
      if (collected.length >= expected) return collected;
      deadline ??= Date.now() + 30_000;
      if (Date.now() > deadline) {
        throw new Error(`Reader got ${collected.length} of ${expected} committed events; the rest never became readable`);
      }
    }
    await store.waitForEvents(position, 1_000);
  }
}

/** Reads the global log from `after` to its current end. */
async function readUntilQuiet(store: EventStore, after: Position | null): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  let position = after;
  for (;;) {
    const batch = await store.readAll(position, 1_000);
    if (batch.length === 0) return events;
    events.push(...batch);
    position = batch.at(-1)!.position;
  }
}

function expectStrictlyIncreasing(positions: Position[]): void {
  for (let index = 1; index < positions.length; index += 1) {
    if (comparePositions(positions[index - 1]!, positions[index]!) >= 0) {
      throw new Error(`Positions out of order at ${index}: ${positions[index - 1]} then ${positions[index]}`);
    }
  }
}

function uniqueStream(kind: string): string {
  return `${kind}-${randomUUID()}`;
}

function newEvent(type: string, data: unknown = { at: Date.now() }): NewEvent {
  return {
    id: randomUUID(),
    type,
    data,
    metadata: { occurredAt: new Date().toISOString(), correlationId: randomUUID(), schemaVersion: 1 },
  };
}

function manyEvents(count: number): NewEvent[] {
  return Array.from({ length: count }, (_, index) => newEvent('Probe', { index }));
}

/** An event whose serialized data plus metadata take exactly `bytes` bytes of UTF-8, with multibyte characters. */
function eventOfBytes(bytes: number): NewEvent {
  const event = newEvent('Large', { text: '' });
  const overhead = Buffer.byteLength(JSON.stringify(event.data)) + Buffer.byteLength(JSON.stringify(event.metadata));
  const room = bytes - overhead;
  const twoByteChars = Math.floor(room / 2);
  event.data = { text: 'é'.repeat(twoByteChars) + 'a'.repeat(room - twoByteChars * 2) };
  return event;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}
