import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  assertValidAppend,
  toEsdbExpectedRevision,
  toEsdbPosition,
  toPortActualRevision,
  toPortPosition,
} from '../../src/eventstore/esdb/esdb-mapping';
import { redactConnectionString } from '../../src/eventstore/esdb/esdb-event-store';
import { isTransient } from '../../src/eventstore/esdb/esdb-retry';
import { EventTooLargeError, MAX_EVENT_BYTES, comparePositions, type NewEvent } from '../../src/eventstore/port';
import { UnavailableError, WrongExpectedVersionError } from '@eventstore/db-client';

const uint64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

function event(overrides: Partial<NewEvent> = {}): NewEvent {
  return { id: randomUUID(), type: 'PedidoCreado', data: {}, metadata: { occurredAt: '2026-01-01T00:00:00Z', schemaVersion: 1 }, ...overrides };
}

describe('EventStoreDB positions', () => {
  it('round-trip through the port token', () => {
    fc.assert(
      fc.property(uint64, uint64, (commit, prepare) => {
        expect(toEsdbPosition(toPortPosition({ commit, prepare }))).toEqual({ commit, prepare });
      }),
    );
  });

  it('sort like commit, then prepare', () => {
    fc.assert(
      fc.property(uint64, uint64, uint64, uint64, (commitA, prepareA, commitB, prepareB) => {
        const expected = commitA !== commitB ? Math.sign(Number(commitA - commitB)) : Math.sign(Number(prepareA - prepareB));
        const actual = comparePositions(toPortPosition({ commit: commitA, prepare: prepareA }), toPortPosition({ commit: commitB, prepare: prepareB }));
        expect(actual).toBe(expected);
      }),
    );
  });
});

describe('expected revision mapping', () => {
  it.each([
    ['no_stream', 'no_stream'],
    ['any', 'any'],
    ['stream_exists', 'stream_exists'],
    [0, 0n],
    [41, 41n],
  ] as const)('maps %p to %p', (port, esdb) => {
    expect(toEsdbExpectedRevision(port)).toBe(esdb);
  });

  it('maps the actual revision back', () => {
    expect(toPortActualRevision(7n)).toBe(7);
    expect(toPortActualRevision('no_stream')).toBe('no_stream');
    expect(toPortActualRevision(-1n)).toBe('no_stream');
  });
});

describe('append validation', () => {
  it('accepts an event at the size limit', () => {
    const base = event({ data: '' });
    const overhead = Buffer.byteLength(JSON.stringify(base.data)) + Buffer.byteLength(JSON.stringify(base.metadata));
    const atLimit = event({ data: 'x'.repeat(MAX_EVENT_BYTES - overhead) });

    expect(() => assertValidAppend('pedido-1', [atLimit], 'any')).not.toThrow();
  });

  it('rejects an event one byte over the limit', () => {
    const base = event({ data: '' });
    const overhead = Buffer.byteLength(JSON.stringify(base.data)) + Buffer.byteLength(JSON.stringify(base.metadata));
    const overLimit = event({ data: 'x'.repeat(MAX_EVENT_BYTES - overhead + 1) });

    expect(() => assertValidAppend('pedido-1', [overLimit], 'any')).toThrow(EventTooLargeError);
  });

  it.each([
    ['an empty append', [], 'any'],
    ['an id that is not a UUID', [event({ id: 'not-a-uuid' })], 'any'],
    ['a missing type', [event({ type: '' })], 'any'],
    ['a negative revision', [event()], -1],
    ['a fractional revision', [event()], 1.5],
  ] as const)('rejects %s', (_case, events, expected) => {
    expect(() => assertValidAppend('pedido-1', events as readonly NewEvent[], expected as never)).toThrow(TypeError);
  });

  it('rejects an id twice in one append', () => {
    const id = randomUUID();

    expect(() => assertValidAppend('pedido-1', [event({ id }), event({ id: id.toUpperCase() })], 'any')).toThrow(/appears twice/);
  });
});

describe('EventStoreDB errors', () => {
  it('retries unavailability only', () => {
    expect(isTransient(new UnavailableError())).toBe(true);
    expect(isTransient(new WrongExpectedVersionError(undefined as never, { streamName: 's', current: 1n, expected: 0n }))).toBe(false);
    expect(isTransient(new Error('boom'))).toBe(false);
  });

  it('redacts the password of a connection string', () => {
    expect(redactConnectionString('esdb://admin:changeit@127.0.0.1:2113?tls=false')).toBe('esdb://admin:***@127.0.0.1:2113?tls=false');
    expect(redactConnectionString('esdb://127.0.0.1:2113?tls=false')).toBe('esdb://127.0.0.1:2113?tls=false');
  });
});
