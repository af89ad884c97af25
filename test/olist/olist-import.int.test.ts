/**
 * Imports the Olist sample (a deterministic part of it, or all of it with
 * OLIST_TEST_ORDERS=all) into a fresh PostgreSQL database through the command
 * service, and requires the service's statistics to equal figures computed
 * straight from the CSV files by test/olist/support/reference.ts.
 */
import { loadConfig } from '../../src/infrastructure/config';
import { olistIds } from '../../src/import/olist/ids';
import { importOlistDataset, type ImportReport } from '../../src/import/olist/importer';
import { anomalyReasons } from '../../src/import/olist/anomalies';
import { openCommandRuntime, type CommandRuntime } from '../../src/import/olist/runtime';
import { catchUpProjections } from '../../src/reports/catch-up';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import express, { type Express } from 'express';
import request from 'supertest';
import type { OrderStatistics } from '../../projections/statistics/queries';
import { createQueryRouter } from '../../projections/router';
import { CheckpointWatcher } from '../../projections/read-your-writes';
import { problemHandler } from '../../src/api/problem';
import { findOrder } from '../../projections/orders/queries';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { findOlistSample, loadSample, type Sample } from './support/dataset';
import { periodsBetween, referenceOrders, referenceStatistics, type ReferenceOrder, type ReferenceStatistics } from './support/reference';

const sampleDir = findOlistSample();
const describeWithSample = sampleDir ? describe : describe.skip;
if (!sampleDir) {
  console.warn('Skipping the Olist import test: no Olist sample found (set OLIST_DATA_DIR to the folder with the CSV files).');
}

const TIME_ZONE = 'America/Sao_Paulo';
// Read models must reach the import's last event within this; a failure beats a silent hang.
const CATCH_UP_MS = 3 * 60_000;
const LONG = 20 * 60_000;

describeWithSample('Olist import on PostgreSQL', () => {
  let database: TestDatabase;
  let runtime: CommandRuntime;
  let sample: Sample;
  let reference: ReferenceOrder[];
  let firstImport: ImportReport;
  let watcher: CheckpointWatcher;
  let api: Express;

  /** GET /api/orders/stats as a client sees it. */
  async function getStats(query: Record<string, string>): Promise<OrderStatistics> {
    const response = await request(api).get('/api/orders/stats').query(query);
    expect(response.status).toBe(200);
    return response.body as OrderStatistics;
  }

  beforeAll(async () => {
    sample = loadSample(sampleDir as string, process.env.OLIST_TEST_ORDERS === 'all');
    reference = referenceOrders(sample);
    database = await createTestDatabase('olist_import');
    runtime = await openCommandRuntime(loadConfig({ DATABASE_URL: database.url }), { poolSize: 10 });

    firstImport = await importOlistDataset({ dir: sample.dir, timeZone: TIME_ZONE, target: runtime.commands, concurrency: 8 });
    const catchUp = await catchUpProjections(runtime.db, runtime.eventStore, { timeoutMs: CATCH_UP_MS, until: firstImport.lastPosition });
    expect(catchUp.caughtUp).toBe(true);

    watcher = new CheckpointWatcher(runtime.db);
    api = express();
    api.use(createQueryRouter({ db: runtime.db, positions: watcher, readYourWritesTimeoutMs: 1_000, defaultCurrency: 'EUR' }));
    api.use(problemHandler);
  }, LONG);

  afterAll(async () => {
    await watcher?.close();
    await runtime?.close();
    await database?.drop();
    sample?.cleanup();
  });

  it('imports every order', () => {
    expect(firstImport.failed).toEqual([]);
    expect(firstImport.ordersRead).toBe(sample.orders.length);
    expect(firstImport.imported).toBe(sample.orders.length);
    expect(firstImport.alreadyPresent).toBe(0);
    expect(firstImport.lastPosition).not.toBeNull();
    expect(firstImport.eventsAppended).toBeGreaterThan(sample.orders.length * 5);
  });

  it('covers every status of the sample', () => {
    const statuses = new Set(reference.map((order) => order.olistStatus));
    expect([...statuses].sort()).toEqual(['canceled', 'delivered', 'invoiced', 'processing', 'shipped', 'unavailable']);
  });

  describe('statistics by month', () => {
    const from = '2016-01-01';
    const to = '2019-01-01';
    let stats: OrderStatistics;
    let expected: ReferenceStatistics;

    beforeAll(async () => {
      stats = await getStats({ from, to, groupBy: 'month', timeZone: TIME_ZONE, currency: 'BRL' });
      expected = referenceStatistics(reference, from, to, 7);
    });

    it('counts orders by status', () => {
      expect(stats.orders).toBe(sample.orders.length);
      expect(stats.orders).toBe(expected.orders);
      expect(stats.byStatus).toEqual(expected.byStatus);
    });

    it('sums gross sales and average', () => {
      expect(stats.grossSales).toEqual({ amount: expected.grossSales, currency: 'BRL' });
      expect(stats.averageOrderValue).toEqual({ amount: expected.averageOrderValue, currency: 'BRL' });
    });

    it('computes the cancellation rate', () => {
      expect(stats.cancellationRate).toBe(expected.cancellationRate);
    });

    it('sums confirmed payments by method', () => {
      const amounts = Object.fromEntries(Object.entries(stats.paymentsByMethod).map(([method, money]) => [method, money.amount]));
      expect(amounts).toEqual(expected.paymentsByMethod);
    });

    it('builds the monthly series', () => {
      expectSeries(stats, expected, periodsBetween(from, to, 7));
    });

    it('measures stage durations', () => {
      expectStages(stats, expected);
    });
  });

  describe('statistics by day across a DST change', () => {
    // Sao Paulo summer time ended at midnight on 2018-02-18, repeating the hour 23:00-24:00 of 2018-02-17.
    const from = '2018-02-10';
    const to = '2018-02-25';

    it('equals the reference by day', async () => {
      const stats = await getStats({ from, to, groupBy: 'day', timeZone: TIME_ZONE, currency: 'BRL' });
      const expected = referenceStatistics(reference, from, to, 10);
      expect(stats.orders).toBe(expected.orders);
      expect(stats.orders).toBeGreaterThan(0);
      expect(stats.byStatus).toEqual(expected.byStatus);
      expect(stats.grossSales.amount).toBe(expected.grossSales);
      expectSeries(stats, expected, periodsBetween(from, to, 10));
      expectStages(stats, expected);
    });
  });

  describe('stats command', () => {
    it('prints the figures of the API', async () => {
      const query = { from: '2017-01-01', to: '2018-01-01', groupBy: 'week', timeZone: TIME_ZONE, currency: 'BRL' };
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          require.resolve('ts-node/dist/bin'),
          '--transpile-only',
          path.resolve(__dirname, '../../scripts/olist/stats.ts'),
          ...['--from', query.from, '--to', query.to, '--group-by', query.groupBy, '--time-zone', query.timeZone, '--currency', query.currency, '--format', 'json'],
        ],
        { env: { ...process.env, DATABASE_URL: database.url, LOG_LEVEL: 'warn' }, cwd: path.resolve(__dirname, '../..') },
      );
      const printed = JSON.parse(stdout) as OrderStatistics;
      expect(printed).toEqual(await getStats(query));
      expect(printed.series[0].period).toBe('2016-W52');
    }, LONG);
  });

  describe('anomalies', () => {
    it('reports each reason with its order count', () => {
      const expectedCounts = Object.fromEntries(anomalyReasons.map((reason) => [reason, reference.filter((order) => order.reasons.has(reason)).length]));
      expect(firstImport.flaggedByReason).toEqual(expectedCounts);
      expect(firstImport.flagged).toBe(reference.filter((order) => order.reasons.size > 0).length);
    });

    it('finds the sample messy cases', () => {
      for (const reason of ['cancelled_after_shipping', 'timestamps_out_of_order', 'payments_differ_from_total', 'no_items', 'delivered_without_payment', 'missing_approval_time']) {
        expect({ reason, orders: firstImport.flaggedByReason[reason as keyof ImportReport['flaggedByReason']] > 0 }).toEqual({ reason, orders: true });
      }
    });

    it('keeps the reasons in the read model', async () => {
      const flagged = reference.filter((order) => order.reasons.size > 0);
      for (const order of flagged) {
        const stored = await findOrder(runtime.db, olistIds.order(order.id));
        expect({ id: order.id, anomalies: [...(stored?.state.anomalies ?? [])].sort() }).toEqual({ id: order.id, anomalies: [...order.reasons].sort() });
      }
      const clean = reference.find((order) => order.reasons.size === 0) as ReferenceOrder;
      const stored = await findOrder(runtime.db, olistIds.order(clean.id));
      expect(stored?.state.anomalies).toEqual([]);
      expect(stored?.state.status).toBe(clean.status);
    });
  });

  describe('a second import', () => {
    it('adds nothing', async () => {
      const headBefore = await runtime.eventStore.headPosition();
      const second = await importOlistDataset({ dir: sample.dir, timeZone: TIME_ZONE, target: runtime.commands, concurrency: 8 });
      expect(second.failed).toEqual([]);
      expect(second.imported).toBe(0);
      expect(second.alreadyPresent).toBe(sample.orders.length);
      expect(second.eventsAppended).toBe(0);
      expect(await runtime.eventStore.headPosition()).toBe(headBefore);
    }, LONG);
  });
});

function expectSeries(stats: OrderStatistics, expected: ReferenceStatistics, periods: string[]): void {
  const byPeriod = new Map(expected.series.map((point) => [point.period, point]));
  const wanted = periods.map((period) => ({
    period,
    orders: byPeriod.get(period)?.orders ?? 0,
    grossSales: { amount: byPeriod.get(period)?.grossSales ?? '0.00', currency: 'BRL' },
  }));
  expect(stats.series).toEqual(wanted);
}

// The service rounds hours to 4 decimals; 3 decimals leave room for float differences at a rounding boundary.
function expectStages(stats: OrderStatistics, expected: ReferenceStatistics): void {
  for (const [name, stage] of Object.entries(expected.stageDurations)) {
    const actual = stats.stageDurations[name as keyof OrderStatistics['stageDurations']];
    expect({ name, count: actual.count, invalid: actual.invalid }).toEqual({ name, count: stage.count, invalid: stage.invalid });
    for (const percentile of ['p50Hours', 'p90Hours'] as const) {
      if (stage[percentile] === null) {
        expect({ name, percentile, value: actual[percentile] }).toEqual({ name, percentile, value: null });
      } else {
        expect(actual[percentile]).toBeCloseTo(stage[percentile] as number, 3);
      }
    }
  }
}
