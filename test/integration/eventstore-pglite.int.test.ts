import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { openDatabase } from '../../src/infrastructure/database';
import { migrate } from '../../src/infrastructure/migrations';
import { createSqlEventStore } from '../../src/eventstore/sql-event-store';
import { eventStoreMigrations } from '../../src/eventstore/sql-migrations';
import { describeEventStoreContract } from '../contract/event-store.contract';

async function openPglite(dataDir: string) {
  const db = await openDatabase({ dataDir });
  await migrate(db, eventStoreMigrations);
  const store = createSqlEventStore(db);
  return {
    store,
    async close() {
      await store.close();
      await db.close();
    },
  };
}

function temporaryDirectory(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ordersvc-pglite-'));
}

// PGlite has one connection, so an append's transaction can never stay open
// while another commits: the late-commit test does not apply, and the load
// test's writers and held transactions run one after the other. The load test
// therefore runs 4 writers instead of 16; each still makes 500 appends over
// 200 streams. PGlite needs jest under node --experimental-vm-modules (the
// npm test scripts pass it), because it loads Node modules with import().
describeEventStoreContract(
  'PGlite',
  async () => {
    const dataDir = temporaryDirectory();
    const opened = await openPglite(dataDir);
    return {
      store: opened.store,
      async close() {
        await opened.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  },
  { concurrentTransactions: false, concurrency: { writers: 4, holdMs: 10 } },
);

describe('SQL event store on PGlite', () => {
  it('keeps events across close and reopen', async () => {
    const dataDir = temporaryDirectory();
    try {
      const streamId = `pedido-${randomUUID()}`;
      const event = { id: randomUUID(), type: 'PedidoCreado', data: { total: '34.90' }, metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 } };
      const first = await openPglite(dataDir);
      const appended = await first.store.append(streamId, [event], { expectedRevision: 'no_stream' });
      await first.close();

      const second = await openPglite(dataDir);
      try {
        const read = await second.store.readStream(streamId);
        const log = await second.store.readAll(null, 10);

        expect(read.map((stored) => stored.id)).toEqual([event.id]);
        expect(read[0]?.data).toEqual(event.data);
        expect(log.map((stored) => stored.position)).toEqual([appended.position]);
        await expect(second.store.append(streamId, [{ ...event, id: randomUUID() }], { expectedRevision: 0 })).resolves.toMatchObject({
          nextRevision: 1,
        });
      } finally {
        await second.close();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
