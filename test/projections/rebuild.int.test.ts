import { ProjectionsWorker, allProjections, buildAsOf, queryStatistics, rebuildAndSwap, statisticsProjection } from '../../projections';
import { readCheckpoint } from '../../projections/checkpoints';
import type { SqlExecutor } from '../../src/infrastructure/database';
import { OrderFacts, appendOrder, eventually, openProjectionTestEnv, plusHours, readLogUntil, type ProjectionTestEnv } from './fixtures';

function variedOrder(index: number): OrderFacts {
  const created = new Date(Date.UTC(2024, 2, 1 + (index % 28), index % 24)).toISOString();
  const order = new OrderFacts(index % 5 === 0 ? 'USD' : 'EUR', `customer-${index % 7}`, created)
    .addLine(`p-${index}`, 1 + (index % 3), '12.50')
    .shipping('4.90');
  if (index % 4 === 0) order.discountPercent('TEN', '10');
  if (index % 3 !== 2) {
    const total = index % 4 === 0 ? ((1 + (index % 3)) * 1250 * 0.9 + 490) / 100 : ((1 + (index % 3)) * 1250 + 490) / 100;
    const amount = total.toFixed(2);
    order.requestPayment(`pay-${index}`, index % 2 ? 'card' : 'paypal', amount, plusHours(created, 1));
    order.receivePayment(`pay-${index}`, index % 2 ? 'card' : 'paypal', amount, plusHours(created, 2));
    order.confirm(amount, plusHours(created, 2));
    if (index % 3 === 0) order.ship(plusHours(created, 30)).deliver(plusHours(created, 80));
  } else if (index % 2 === 0) {
    order.cancel(plusHours(created, 5));
  }
  return order;
}

async function dump(db: SqlExecutor, table: string, schema?: string): Promise<Record<string, unknown>[]> {
  const name = schema ? `"${schema}".${table}` : table;
  return (await db.query<Record<string, unknown>>(`SELECT * FROM ${name} ORDER BY order_id`)).rows;
}

async function tableOid(db: SqlExecutor, table: string): Promise<number> {
  return Number((await db.query<{ oid: number }>(`SELECT $1::regclass::oid AS oid`, [table])).rows[0].oid);
}

describe('projection rebuild', () => {
  let env: ProjectionTestEnv;

  beforeEach(async () => {
    env = await openProjectionTestEnv();
  });

  afterEach(async () => {
    await env.close();
  });

  it('rebuilds equal to live and swaps while the live runner works', async () => {
    let head = '';
    for (let index = 0; index < 30; index += 1) head = await appendOrder(env.store, variedOrder(index));
    const worker = new ProjectionsWorker({ db: env.db, store: env.store, runnerOptions: { idleWaitMs: 500, batchSize: 7 } });
    await worker.start();
    try {
      expect(await worker.waitForPosition(head, ['orders', 'statistics'], 30_000)).toBe(true);
      const liveViews = await dump(env.db, 'order_views');
      const liveStats = await dump(env.db, 'order_stats');
      const oldOid = await tableOid(env.db, 'order_views');

      // Appends keep arriving while the rebuild runs.
      const appending = (async () => {
        for (let index = 30; index < 40; index += 1) head = await appendOrder(env.store, variedOrder(index));
      })();
      let progressCalls = 0;
      const result = await rebuildAndSwap({
        db: env.db,
        store: env.store,
        projections: allProjections,
        batchSize: 5,
        onProgress: () => {
          progressCalls += 1;
        },
      });
      await appending;
      expect(progressCalls).toBeGreaterThan(1);
      expect(result.events).toBeGreaterThan(0);
      expect(await tableOid(env.db, 'order_views')).not.toBe(oldOid);
      const indexes = await env.db.query<{ indexname: string }>(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'order_views' AND schemaname = current_schema() ORDER BY indexname",
      );
      expect(indexes.rows.map((row) => row.indexname)).toEqual([
        'order_views_anomalies_idx',
        'order_views_created_idx',
        'order_views_customer_idx',
        'order_views_pkey',
        'order_views_status_idx',
        'order_views_total_idx',
      ]);

      const allEvents = await readLogUntil(env.store, head);
      await eventually(
        async () => (await readCheckpoint(env.db, 'orders')).position === head && (await readCheckpoint(env.db, 'statistics')).position === head,
        30_000,
        'the live runners to continue on the new tables',
      );
      const views = await dump(env.db, 'order_views');
      const stats = await dump(env.db, 'order_stats');
      expect(views).toHaveLength(40);
      expect(stats).toHaveLength(40);
      const liveIds = new Set(liveViews.map((row) => row.order_id));
      expect(views.filter((row) => liveIds.has(row.order_id))).toEqual(liveViews);
      expect(stats.filter((row) => liveIds.has(row.order_id))).toEqual(liveStats);
      const applied = await env.db.query<{ projection: string; events_applied: string }>(
        'SELECT projection, events_applied FROM projection_checkpoints ORDER BY projection',
      );
      expect(applied.rows.map((row) => Number(row.events_applied))).toEqual([allEvents.length, allEvents.length]);
      const leftovers = await env.db.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'projections_rebuild_%'");
      expect(leftovers.rows).toHaveLength(0);
    } finally {
      await worker.stop();
    }
  });

  it('builds statistics as of a past moment into its own schema', async () => {
    const early = new OrderFacts('EUR', 'c1', '2024-01-10T10:00:00.000Z').addLine('p1', 2, '10.00');
    early.requestPayment('pay-1', 'card', '20.00', '2024-01-10T11:00:00.000Z');
    early.receivePayment('pay-1', 'card', '20.00', '2024-01-10T12:00:00.000Z');
    early.confirm('20.00', '2024-01-10T12:00:00.000Z');
    early.cancel('2024-02-05T09:00:00.000Z', '20.00');
    const late = new OrderFacts('EUR', 'c2', '2024-02-10T10:00:00.000Z').addLine('p2', 1, '99.00');
    await appendOrder(env.store, early);
    const head = await appendOrder(env.store, late);

    const worker = new ProjectionsWorker({ db: env.db, store: env.store, runnerOptions: { idleWaitMs: 500 } });
    await worker.start();
    try {
      expect(await worker.waitForPosition(head, ['statistics'], 30_000)).toBe(true);
      const liveBefore = await dump(env.db, 'order_stats');
      await readLogUntil(env.store, head);

      const result = await buildAsOf({
        db: env.db,
        store: env.store,
        projections: [statisticsProjection],
        schema: 'stats_asof_test',
        until: '2024-02-01T00:00:00Z',
      });
      expect(result.schema).toBe('stats_asof_test');

      const query = { from: '2024-01-01', to: '2024-03-01', groupBy: 'month' as const, timeZone: 'UTC', currency: 'EUR' };
      const asOf = await queryStatistics(env.db, { ...query, schema: 'stats_asof_test' });
      expect(asOf.orders).toBe(1);
      expect(asOf.byStatus).toEqual({ confirmed: 1 });
      expect(asOf.grossSales).toEqual({ amount: '20.00', currency: 'EUR' });
      const now = await queryStatistics(env.db, query);
      expect(now.orders).toBe(2);
      expect(now.byStatus).toEqual({ cancelled: 1, pending: 1 });
      expect(now.grossSales).toEqual({ amount: '99.00', currency: 'EUR' });

      expect(await dump(env.db, 'order_stats')).toEqual(liveBefore);
      const info = await env.db.query<{ until: Date }>('SELECT until FROM stats_asof_test.snapshot_info');
      expect(info.rows[0].until.toISOString()).toBe('2024-02-01T00:00:00.000Z');
      await expect(
        buildAsOf({ db: env.db, store: env.store, projections: [statisticsProjection], schema: 'stats_asof_test', until: '2024-02-01T00:00:00Z' }),
      ).rejects.toThrow('already exists');
    } finally {
      await worker.stop();
    }
  });
});
