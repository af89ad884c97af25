import { randomUUID } from 'node:crypto';
import { EventTooLargeError, MAX_EVENT_BYTES, type NewEvent } from '../../../src/eventstore/port';
import { EXPECTED_ANY, EXPECTED_NO_STREAM, EXPECTED_STREAM_EXISTS } from '../../../src/eventstore/sql-migrations';
import { encodeExpected, serializeBatch, toRecordedEvent } from '../../../src/eventstore/sql-rows';
import { WakeupSignal } from '../../../src/eventstore/wakeup-signal';

function event(data: unknown = { a: 1 }, id: string = randomUUID()): NewEvent {
  return { id, type: 'Probe', data, metadata: { occurredAt: '2026-01-01T00:00:00.000Z', schemaVersion: 1 } };
}

describe('serializeBatch', () => {
  it('serializes each column in batch order', () => {
    const first = event({ a: 'ü' });
    const second = event(null);

    const batch = serializeBatch('s', [first, second]);

    expect(batch.ids).toEqual([first.id, second.id]);
    expect(batch.types).toEqual(['Probe', 'Probe']);
    expect(batch.data).toEqual(['{"a":"ü"}', 'null']);
    expect(JSON.parse(batch.metadata[0]!)).toEqual(first.metadata);
  });

  it('counts UTF-8 bytes against the maximum', () => {
    const metadataBytes = Buffer.byteLength(JSON.stringify(event().metadata));
    // The data is a JSON string: two quotes around the text.
    const room = MAX_EVENT_BYTES - metadataBytes - 2;
    const text = 'é'.repeat(Math.floor(room / 2)) + 'a'.repeat(room % 2);
    const fits = event(text);
    const over = event(`${text}a`);

    expect(() => serializeBatch('s', [fits])).not.toThrow();
    expect(() => serializeBatch('s', [over])).toThrow(EventTooLargeError);
  });

  it.each([
    ['an empty batch', []],
    ['an id that is not a UUID', [event({}, 'order-1')]],
    ['an id given twice', (() => { const id = randomUUID(); return [event({}, id), event({}, id.toUpperCase())]; })()],
    ['a missing type', [{ ...event(), type: '' }]],
  ])('rejects %s', (_title, events) => {
    expect(() => serializeBatch('s', events as NewEvent[])).toThrow(TypeError);
  });
});

describe('encodeExpected', () => {
  it.each([
    ['no_stream', EXPECTED_NO_STREAM],
    ['any', EXPECTED_ANY],
    ['stream_exists', EXPECTED_STREAM_EXISTS],
    [0, 0],
    [41, 41],
  ] as const)('encodes %s', (expected, code) => {
    expect(encodeExpected(expected)).toBe(code);
  });

  it.each([-1, 1.5, Number.NaN, 2 ** 60])('rejects %s', (expected) => {
    expect(() => encodeExpected(expected)).toThrow(TypeError);
  });
});

describe('toRecordedEvent', () => {
  it('builds the position from transaction id and sequence', () => {
    const recorded = toRecordedEvent({
      stream_id: 's',
      revision: '3',
      event_id: 'e',
      type: 'T',
      data: {},
      metadata: { occurredAt: 'x', schemaVersion: 1 },
      transaction_text: '4096',
      seq: '255',
      recorded_at: new Date('2026-01-02T03:04:05.678Z'),
    });

    expect(recorded.position).toBe('0000000000001000' + '00000000000000ff');
    expect(recorded.revision).toBe(3);
    expect(recorded.recordedAt).toBe('2026-01-02T03:04:05.678Z');
  });
});

describe('WakeupSignal', () => {
  it('wakes a sleeper on notify', async () => {
    const signal = new WakeupSignal();
    const sleeping = signal.sleep(signal.generation, 60_000);

    signal.notify();

    await expect(sleeping).resolves.toBeUndefined();
  });

  it('returns at once when a signal came after the generation was read', async () => {
    const signal = new WakeupSignal();
    const seen = signal.generation;
    signal.notify();

    await expect(signal.sleep(seen, 60_000)).resolves.toBeUndefined();
  });

  it('returns on abort', async () => {
    const signal = new WakeupSignal();
    const controller = new AbortController();
    const sleeping = signal.sleep(signal.generation, 60_000, controller.signal);

    controller.abort();

    await expect(sleeping).resolves.toBeUndefined();
  });
});
