import { InMemoryEventLog, type ProposedEvent } from '../esdb-server/event-log';

function proposed(id: string): ProposedEvent {
  return { id, type: 'T', contentType: 'application/json', data: Buffer.from('{}'), customMetadata: new Uint8Array() };
}

const ids = ['00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a3'];

describe('test server event log', () => {
  it('numbers revisions from 0 and orders positions', () => {
    const log = new InMemoryEventLog();

    const first = log.append('s', { kind: 'no_stream' }, [proposed(ids[0]), proposed(ids[1])]);
    const second = log.append('s', { kind: 'revision', revision: 1n }, [proposed(ids[2])]);

    expect(first).toMatchObject({ kind: 'success', currentRevision: 1n });
    expect(second).toMatchObject({ kind: 'success', currentRevision: 2n });
    const positions = log.allEvents().map((event) => event.position.commit);
    expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : 1)));
    expect(new Set(positions).size).toBe(3);
  });

  it('repeats an append by ids without writing', () => {
    const log = new InMemoryEventLog();
    log.append('s', { kind: 'no_stream' }, [proposed(ids[0]), proposed(ids[1])]);

    const repeated = log.append('s', { kind: 'no_stream' }, [proposed(ids[0]), proposed(ids[1])]);

    expect(repeated).toEqual({ kind: 'success', currentRevision: 1n, position: undefined });
    expect(log.stream('s')).toHaveLength(2);
  });

  it('rejects a partial repeat', () => {
    const log = new InMemoryEventLog();
    log.append('s', { kind: 'no_stream' }, [proposed(ids[0])]);

    const partial = log.append('s', { kind: 'no_stream' }, [proposed(ids[0]), proposed(ids[2])]);

    expect(partial).toEqual({ kind: 'wrong_expected_version', currentRevision: 0n, expected: { kind: 'no_stream' } });
  });

  it('checks every expected state', () => {
    const log = new InMemoryEventLog();

    expect(log.append('s', { kind: 'stream_exists' }, [proposed(ids[0])])).toMatchObject({ kind: 'wrong_expected_version', currentRevision: undefined });
    expect(log.append('s', { kind: 'any' }, [proposed(ids[0])])).toMatchObject({ kind: 'success', currentRevision: 0n });
    expect(log.append('s', { kind: 'revision', revision: 5n }, [proposed(ids[1])])).toMatchObject({
      kind: 'wrong_expected_version',
      currentRevision: 0n,
    });
    expect(log.append('s', { kind: 'stream_exists' }, [proposed(ids[1])])).toMatchObject({ kind: 'success', currentRevision: 1n });
  });
});
