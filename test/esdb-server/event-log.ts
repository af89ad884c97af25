/**
 * The in-memory transaction log behind the EventStoreDB test server. It keeps
 * EventStoreDB's rules for stream revisions, expected states, idempotent
 * appends by event id and `$all` positions; it never writes to disk.
 */

/** A log position: EventStoreDB's commit and prepare positions (byte offsets in its transaction log). */
export interface LogPosition {
  commit: bigint;
  prepare: bigint;
}

export interface ProposedEvent {
  id: string;
  type: string;
  contentType: string;
  data: Uint8Array;
  customMetadata: Uint8Array;
}

export interface StoredEvent extends ProposedEvent {
  streamName: string;
  revision: bigint;
  position: LogPosition;
  /** Milliseconds since the Unix epoch. */
  createdAt: number;
}

/** Expected stream state of an append, as EventStoreDB's Append request carries it. */
export type ExpectedState = { kind: 'any' } | { kind: 'no_stream' } | { kind: 'stream_exists' } | { kind: 'revision'; revision: bigint };

export type AppendOutcome =
  | { kind: 'success'; currentRevision: bigint; position: LogPosition | undefined }
  | { kind: 'wrong_expected_version'; currentRevision: bigint | undefined; expected: ExpectedState };

/** Fixed size of a record's header in the position arithmetic; real record sizes differ. */
const RECORD_HEADER_BYTES = 96n;

/** EventStoreDB's transaction log starts after a chunk header, so no event sits at position 0. */
const FIRST_POSITION = 128n;

export class InMemoryEventLog {
  private readonly all: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  private readonly listeners = new Set<(event: StoredEvent) => void>();
  private nextPosition = FIRST_POSITION;

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Appends `events` when the stream matches `expected`. Re-appending events
   * whose ids already follow the expected revision succeeds without writing,
   * as EventStoreDB's idempotent write check does; such a success has no position.
   */
  append(streamName: string, expected: ExpectedState, events: readonly ProposedEvent[]): AppendOutcome {
    const stream = this.streams.get(streamName) ?? [];
    const current = stream.length === 0 ? undefined : BigInt(stream.length - 1);

    const duplicate = this.findIdempotentMatch(stream, expected, events);
    if (duplicate !== undefined) return { kind: 'success', currentRevision: duplicate, position: undefined };

    if (!matchesExpected(expected, current)) return { kind: 'wrong_expected_version', currentRevision: current, expected };

    if (events.length === 0) {
      return { kind: 'success', currentRevision: current ?? -1n, position: undefined };
    }

    let position: LogPosition | undefined;
    for (const event of events) {
      const stored = this.store(streamName, stream, event);
      position = stored.position;
    }
    this.streams.set(streamName, stream);
    return { kind: 'success', currentRevision: BigInt(stream.length - 1), position };
  }

  /** Events of one stream, or `undefined` when the stream does not exist. */
  stream(streamName: string): readonly StoredEvent[] | undefined {
    return this.streams.get(streamName);
  }

  /** Lists every event in log order. */
  allEvents(): readonly StoredEvent[] {
    return this.all;
  }

  /** Calls `listener` for every event appended from now on; returns a function that stops the calls. */
  onAppended(listener: (event: StoredEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private store(streamName: string, stream: StoredEvent[], event: ProposedEvent): StoredEvent {
    const offset = this.nextPosition;
    this.nextPosition += RECORD_HEADER_BYTES + BigInt(event.data.length + event.customMetadata.length + streamName.length);
    const stored: StoredEvent = {
      ...event,
      streamName,
      revision: BigInt(stream.length),
      position: { commit: offset, prepare: offset },
      createdAt: this.now(),
    };
    stream.push(stored);
    this.all.push(stored);
    for (const listener of this.listeners) listener(stored);
    return stored;
  }

  /**
   * Returns the revision of the last event of an earlier identical append, or
   * undefined. With an exact revision (or no_stream) the ids must sit right
   * after it; with any or stream_exists, anywhere in the stream in order.
   */
  private findIdempotentMatch(stream: readonly StoredEvent[], expected: ExpectedState, events: readonly ProposedEvent[]): bigint | undefined {
    if (events.length === 0 || stream.length === 0) return undefined;

    if (expected.kind === 'revision' || expected.kind === 'no_stream') {
      const first = expected.kind === 'revision' ? Number(expected.revision) + 1 : 0;
      return idsMatchAt(stream, first, events) ? BigInt(first + events.length - 1) : undefined;
    }

    const first = stream.findIndex((stored) => stored.id === events[0].id);
    if (first < 0) return undefined;
    return idsMatchAt(stream, first, events) ? BigInt(first + events.length - 1) : undefined;
  }
}

function idsMatchAt(stream: readonly StoredEvent[], first: number, events: readonly ProposedEvent[]): boolean {
  if (first < 0 || first + events.length > stream.length) return false;
  return events.every((event, index) => stream[first + index].id === event.id);
}

function matchesExpected(expected: ExpectedState, current: bigint | undefined): boolean {
  switch (expected.kind) {
    case 'any':
      return true;
    case 'no_stream':
      return current === undefined;
    case 'stream_exists':
      return current !== undefined;
    case 'revision':
      return current === expected.revision;
  }
}

export function comparePositions(a: LogPosition, b: LogPosition): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/**
 * Writes the kind of system events a fresh EventStoreDB node contains (default
 * ACL settings, a `$`-prefixed stream), so that readers of `$all` must filter.
 */
export function seedSystemEvents(log: InMemoryEventLog): void {
  const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');
  log.append('$settings', { kind: 'any' }, [
    {
      id: '00000000-0000-4000-8000-000000000001',
      type: '$settings',
      contentType: 'application/json',
      data: json({ $userStreamAcl: { $r: '$all' }, $systemStreamAcl: { $r: '$admins' } }),
      customMetadata: new Uint8Array(),
    },
  ]);
  log.append('$$$scavenges', { kind: 'any' }, [
    {
      id: '00000000-0000-4000-8000-000000000002',
      type: '$metadata',
      contentType: 'application/json',
      data: json({ $maxAge: 2_592_000 }),
      customMetadata: new Uint8Array(),
    },
  ]);
}
