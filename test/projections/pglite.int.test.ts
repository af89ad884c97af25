import request from 'supertest';
import { createSqlEventStore, eventStoreMigrations } from '../../src/eventstore';
import { openDatabase, type SqlDatabase } from '../../src/infrastructure/database';
import { migrate } from '../../src/infrastructure/migrations';
import { ProjectionsWorker, allProjections, projectionMigrations, rebuildAndSwap } from '../../projections';
import { OrderFacts, appendOrder, plusHours } from './fixtures';
import { queryTestApp } from './http';

describe('projections on PGlite', () => {
  let db: SqlDatabase;

  beforeAll(async () => {
    db = await openDatabase({ dataDir: 'memory://' });
    await migrate(db, [...eventStoreMigrations, ...projectionMigrations]);
  });

  afterAll(async () => {
    await db.close();
  });

  it('projects, answers statistics in a time zone and rebuilds', async () => {
    const store = createSqlEventStore(db);
    const first = new OrderFacts('EUR', 'c1', '2024-01-31T23:30:00.000Z').addLine('p1', 2, '10.00').shipping('4.90');
    first.requestPayment('pay-1', 'card', '24.90', plusHours(first.createdAt, 1));
    first.receivePayment('pay-1', 'card', '24.90', plusHours(first.createdAt, 2));
    first.confirm('24.90', plusHours(first.createdAt, 2)).ship(plusHours(first.createdAt, 10)).deliver(plusHours(first.createdAt, 40));
    const second = new OrderFacts('EUR', 'c2', '2024-02-15T12:00:00.000Z').addLine('p2', 1, '5.00');
    second.cancel(plusHours(second.createdAt, 1));
    await appendOrder(store, first);
    const head = await appendOrder(store, second);

    const worker = new ProjectionsWorker({ db, store, runnerOptions: { idleWaitMs: 200 } });
    await worker.start();
    try {
      expect(await worker.waitForPosition(head, ['orders', 'statistics'], 30_000)).toBe(true);
      const app = queryTestApp({ db, positions: worker, readYourWritesTimeoutMs: 5_000, defaultCurrency: 'EUR' });

      const tokyo = await request(app).get('/api/orders/stats?from=2024-02-01&to=2024-03-01&timeZone=Asia/Tokyo&groupBy=month').expect(200);
      expect(tokyo.body.orders).toBe(2);
      expect(tokyo.body.grossSales).toEqual({ amount: '24.90', currency: 'EUR' });
      expect(tokyo.body.cancellationRate).toBe(0.5);
      expect(tokyo.body.stageDurations.createdToDelivered).toEqual({ count: 1, invalid: 0, p50Hours: 40, p90Hours: 40 });
      const saoPaulo = await request(app).get('/api/orders/stats?from=2024-02-01&to=2024-03-01&timeZone=America/Sao_Paulo').expect(200);
      expect(saoPaulo.body.orders).toBe(1);

      const list = await request(app).get('/api/orders?status=delivered').expect(200);
      expect(list.body.items.map((item: { id: string }) => item.id)).toEqual([first.orderId]);
    } finally {
      await worker.stop();
    }

    const before = (await db.query('SELECT * FROM order_views ORDER BY order_id')).rows;
    const result = await rebuildAndSwap({ db, store, projections: allProjections });
    expect(result.events).toBe(first.events.length + second.events.length);
    expect((await db.query('SELECT * FROM order_views ORDER BY order_id')).rows).toEqual(before);
    await store.close();
  });
});
