import request from 'supertest';
import type { Express } from 'express';
import { CheckpointWatcher, ProjectionsWorker } from '../../projections';
import { OrderFacts, appendMore, appendOrder, openProjectionTestEnv, plusHours, type ProjectionTestEnv } from './fixtures';
import { queryTestApp } from './http';

/** An order described by plain numbers, so the test can compute its figures by hand. */
interface OrderSpec {
  key: string;
  createdAt: string;
  customerId: string;
  currency?: string;
  lines: [quantity: number, unitPriceMinor: number][];
  shippingMinor: number;
  /** Whole percent, chosen so that the discount is exact. */
  discountPercent?: number;
  payments?: { method: string; minor: number; confirmed: boolean }[];
  confirmedAfterHours?: number;
  shippedAfterHours?: number;
  deliveredAfterHours?: number;
  cancelledAfterHours?: number;
  anomalies?: string[];
}

const specs: OrderSpec[] = [
  // Around the end of January: 2024-01-31T23:30Z is still January in São Paulo (UTC-3) but February in Tokyo (UTC+9).
  { key: 'a', createdAt: '2024-01-31T23:30:00.000Z', customerId: 'c1', lines: [[2, 1000]], shippingMinor: 490, payments: [{ method: 'card', minor: 2490, confirmed: true }], confirmedAfterHours: 2, shippedAfterHours: 26, deliveredAfterHours: 74 },
  { key: 'b', createdAt: '2024-02-01T02:00:00.000Z', customerId: 'c2', lines: [[1, 5000], [3, 250]], shippingMinor: 0, discountPercent: 10, payments: [{ method: 'paypal', minor: 5175, confirmed: true }], confirmedAfterHours: 1, shippedAfterHours: 49 },
  { key: 'c', createdAt: '2024-01-15T12:00:00.000Z', customerId: 'c1', lines: [[1, 1999]], shippingMinor: 490, cancelledAfterHours: 3 },
  { key: 'd', createdAt: '2024-02-29T16:00:00.000Z', customerId: 'c3', lines: [[4, 1250]], shippingMinor: 490, payments: [{ method: 'card', minor: 2000, confirmed: true }, { method: 'transfer', minor: 3490, confirmed: false }] },
  { key: 'e', createdAt: '2024-03-01T01:00:00.000Z', customerId: 'c2', lines: [[1, 9900]], shippingMinor: 0, payments: [{ method: 'card', minor: 9900, confirmed: true }], confirmedAfterHours: 5, shippedAfterHours: 10, deliveredAfterHours: 8, anomalies: ['delivered before shipped'] },
  { key: 'f', createdAt: '2024-02-10T08:00:00.000Z', customerId: 'c3', lines: [[10, 300]], shippingMinor: 490, payments: [{ method: 'paypal', minor: 3490, confirmed: true }], confirmedAfterHours: 0.5, shippedAfterHours: 24, deliveredAfterHours: 96, cancelledAfterHours: undefined },
  { key: 'g', createdAt: '2024-02-10T08:00:00.000Z', customerId: 'c1', lines: [[1, 700]], shippingMinor: 490, payments: [{ method: 'card', minor: 1190, confirmed: true }], confirmedAfterHours: 3, cancelledAfterHours: 4 },
  { key: 'h', createdAt: '2024-02-12T23:59:59.000Z', customerId: 'c4', currency: 'USD', lines: [[1, 1234]], shippingMinor: 0 },
  { key: 'i', createdAt: '2023-12-31T22:00:00.000Z', customerId: 'c4', lines: [[2, 4000]], shippingMinor: 490, payments: [{ method: 'card', minor: 8490, confirmed: true }], confirmedAfterHours: 12, shippedAfterHours: 36, deliveredAfterHours: 60 },
];

function amount(minor: number): string {
  return (minor / 100).toFixed(2);
}

function expectedTotalMinor(spec: OrderSpec): number {
  const subtotal = spec.lines.reduce((sum, [quantity, price]) => sum + quantity * price, 0);
  const discount = spec.discountPercent ? (subtotal * spec.discountPercent) / 100 : 0;
  return subtotal - discount + spec.shippingMinor;
}

function expectedStatus(spec: OrderSpec): string {
  if (spec.cancelledAfterHours !== undefined) return 'cancelled';
  if (spec.deliveredAfterHours !== undefined) return 'delivered';
  if (spec.shippedAfterHours !== undefined) return 'shipped';
  if (spec.confirmedAfterHours !== undefined) return 'confirmed';
  if ((spec.payments ?? []).length > 0) return 'awaiting_payment';
  return 'pending';
}

function factsOf(spec: OrderSpec): OrderFacts {
  const currency = spec.currency ?? 'EUR';
  const order = new OrderFacts(currency, spec.customerId, spec.createdAt);
  spec.lines.forEach(([quantity, price], index) => order.addLine(`product-${index}`, quantity, amount(price)));
  if (spec.shippingMinor > 0) order.shipping(amount(spec.shippingMinor));
  if (spec.discountPercent) order.discountPercent('PROMO', String(spec.discountPercent));
  const at = (hours: number) => plusHours(spec.createdAt, hours);
  (spec.payments ?? []).forEach((payment, index) => {
    const id = `${spec.key}-pay-${index}`;
    order.requestPayment(id, payment.method, amount(payment.minor), at(0.25));
    if (payment.confirmed) order.receivePayment(id, payment.method, amount(payment.minor), at(0.4));
  });
  if (spec.confirmedAfterHours !== undefined) order.confirm(amount(expectedTotalMinor(spec)), at(spec.confirmedAfterHours));
  if (spec.shippedAfterHours !== undefined) order.ship(at(spec.shippedAfterHours));
  if (spec.deliveredAfterHours !== undefined) order.deliver(at(spec.deliveredAfterHours));
  if (spec.cancelledAfterHours !== undefined) order.cancel(at(spec.cancelledAfterHours));
  if (spec.anomalies) order.anomalies(spec.anomalies, at(100));
  return order;
}

/** Returns the calendar date of an instant in a time zone, as YYYY-MM-DD. */
function localDate(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));
}

function isoWeekLabel(date: string): string {
  const day = new Date(`${date}T00:00:00Z`);
  const weekday = (day.getUTCDay() + 6) % 7;
  const thursday = new Date(day.getTime() + (3 - weekday) * 86_400_000);
  const year = thursday.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(year, 0, 4));
  const firstWeekday = (firstThursday.getUTCDay() + 6) % 7;
  const week1Monday = firstThursday.getTime() - firstWeekday * 86_400_000;
  const week = Math.floor((thursday.getTime() - week1Monday) / (7 * 86_400_000)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

function percentile(sorted: number[], fraction: number): number | null {
  if (sorted.length === 0) return null;
  const rank = fraction * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

/** Computes the statistics of the API contract from the specs, for a range of local dates. */
function expectedStats(fromDate: string, toDate: string, timeZone: string, currency: string) {
  const inRange = specs.filter((spec) => {
    const local = localDate(spec.createdAt, timeZone);
    return (spec.currency ?? 'EUR') === currency && local >= fromDate && local < toDate;
  });
  const live = inRange.filter((spec) => expectedStatus(spec) !== 'cancelled');
  const gross = live.reduce((sum, spec) => sum + expectedTotalMinor(spec), 0);
  const byMethod: Record<string, number> = {};
  for (const spec of inRange) {
    for (const payment of spec.payments ?? []) {
      if (payment.confirmed) byMethod[payment.method] = (byMethod[payment.method] ?? 0) + payment.minor;
    }
  }
  const byStatus: Record<string, number> = {};
  for (const spec of inRange) byStatus[expectedStatus(spec)] = (byStatus[expectedStatus(spec)] ?? 0) + 1;
  const stage = (start: (s: OrderSpec) => number | undefined, end: (s: OrderSpec) => number | undefined) => {
    const durations = inRange
      .filter((spec) => start(spec) !== undefined && end(spec) !== undefined)
      .map((spec) => (end(spec) as number) - (start(spec) as number));
    const valid = durations.filter((hours) => hours >= 0).sort((x, y) => x - y);
    return { count: durations.length, invalid: durations.length - valid.length, p50: percentile(valid, 0.5), p90: percentile(valid, 0.9) };
  };
  return {
    inRange,
    orders: inRange.length,
    byStatus,
    grossMinor: gross,
    averageMinor: live.length ? Math.round(gross / live.length) : null,
    cancellationRate: inRange.length ? (inRange.length - live.length) / inRange.length : null,
    byMethod,
    stages: {
      createdToConfirmed: stage(() => 0, (s) => s.confirmedAfterHours),
      confirmedToShipped: stage((s) => s.confirmedAfterHours, (s) => s.shippedAfterHours),
      shippedToDelivered: stage((s) => s.shippedAfterHours, (s) => s.deliveredAfterHours),
      createdToDelivered: stage(() => 0, (s) => s.deliveredAfterHours),
    },
  };
}

describe('query routes', () => {
  let env: ProjectionTestEnv;
  let worker: ProjectionsWorker;
  let app: Express;
  const ids = new Map<string, string>();
  const orders = new Map<string, OrderFacts>();

  beforeAll(async () => {
    env = await openProjectionTestEnv();
    let head = '';
    for (const spec of specs) {
      const facts = factsOf(spec);
      ids.set(spec.key, facts.orderId);
      orders.set(spec.key, facts);
      head = await appendOrder(env.store, facts);
    }
    worker = new ProjectionsWorker({ db: env.db, store: env.store, runnerOptions: { idleWaitMs: 500 } });
    await worker.start();
    expect(await worker.waitForPosition(head, ['orders', 'statistics'], 30_000)).toBe(true);
    app = queryTestApp({ db: env.db, positions: worker, readYourWritesTimeoutMs: 10_000, defaultCurrency: 'EUR' });
  });

  afterAll(async () => {
    await worker.stop();
    await env.close();
  });

  describe('GET /api/orders/:id', () => {
    it('returns lines, discount, shipping, payments and dates', async () => {
      const response = await request(app).get(`/api/orders/${ids.get('b')}`).expect(200);
      expect(response.headers.etag).toBe(`"${orders.get('b')!.events.length - 1}"`);
      expect(response.body.items).toHaveLength(2);
      expect(response.body.discount.code).toBe('PROMO');
      expect(response.body.subtotal).toEqual({ amount: '57.50', currency: 'EUR' });
      expect(response.body.discountTotal).toEqual({ amount: '5.75', currency: 'EUR' });
      expect(response.body.total).toEqual({ amount: '51.75', currency: 'EUR' });
      expect(response.body.status).toBe('shipped');
      expect(response.body.confirmedAt).toBe(plusHours(specs[1].createdAt, 1));
      expect(response.body.shippedAt).toBe(plusHours(specs[1].createdAt, 49));
      expect(response.body.payments).toHaveLength(1);
      expect(response.body.payments[0].status).toBe('confirmed');
    });

    it('answers 304 to a matching If-None-Match', async () => {
      const first = await request(app).get(`/api/orders/${ids.get('a')}`).expect(200);
      await request(app).get(`/api/orders/${ids.get('a')}`).set('If-None-Match', first.headers.etag).expect(304);
    });

    it('returns 404 ORDER_NOT_FOUND for an unknown order', async () => {
      const response = await request(app).get('/api/orders/00000000-0000-4000-8000-000000000000').expect(404);
      expect(response.body.code).toBe('ORDER_NOT_FOUND');
    });

    it('passes ?revision and ?at on to the command router', async () => {
      await request(app).get(`/api/orders/${ids.get('a')}?revision=1`).expect(418);
      await request(app).get(`/api/orders/${ids.get('a')}?at=2024-02-01T00:00:00Z`).expect(418);
    });

    it('lists anomalies of imported orders', async () => {
      const response = await request(app).get(`/api/orders/${ids.get('e')}`).expect(200);
      expect(response.body.anomalies).toEqual(['delivered before shipped']);
    });
  });

  describe('payments', () => {
    it('lists payments oldest first', async () => {
      const response = await request(app).get(`/api/orders/${ids.get('d')}/payments`).expect(200);
      expect(response.body.items.map((payment: { method: string; status: string }) => [payment.method, payment.status])).toEqual([
        ['card', 'confirmed'],
        ['transfer', 'requested'],
      ]);
    });

    it('reports partially paid orders', async () => {
      const response = await request(app).get(`/api/orders/${ids.get('d')}/payments/status`).expect(200);
      expect(response.body).toEqual({
        status: 'partially_paid',
        total: { amount: '54.90', currency: 'EUR' },
        paid: { amount: '20.00', currency: 'EUR' },
        due: { amount: '34.90', currency: 'EUR' },
      });
    });

    it('returns 404 for payments of an unknown order', async () => {
      const response = await request(app).get('/api/orders/unknown-order/payments/status').expect(404);
      expect(response.body.code).toBe('ORDER_NOT_FOUND');
    });
  });

  describe('GET /api/orders', () => {
    const keysOf = (body: { items: { id: string }[] }) =>
      body.items.map((item) => [...ids.entries()].find(([, id]) => id === item.id)?.[0]);

    /** Sorts the matching keys as the list does: createdAt descending, then id descending. */
    function sortedKeys(filter: (spec: OrderSpec) => boolean): string[] {
      return specs
        .filter(filter)
        .sort((x, y) => {
          if (x.createdAt !== y.createdAt) return x.createdAt < y.createdAt ? 1 : -1;
          const idX = ids.get(x.key) as string;
          const idY = ids.get(y.key) as string;
          return idX < idY ? 1 : -1;
        })
        .map((spec) => spec.key);
    }

    it('lists every order newest first by default', async () => {
      const response = await request(app).get('/api/orders').expect(200);
      expect(keysOf(response.body)).toEqual(sortedKeys(() => true));
      expect(response.body.nextCursor).toBeNull();
    });

    it.each([
      ['customerId=c1', (spec: OrderSpec) => spec.customerId === 'c1'],
      ['status=cancelled', (spec: OrderSpec) => expectedStatus(spec) === 'cancelled'],
      ['status=delivered,shipped', (spec: OrderSpec) => ['delivered', 'shipped'].includes(expectedStatus(spec))],
      ['createdFrom=2024-02-01&createdTo=2024-02-29', (spec: OrderSpec) => spec.createdAt >= '2024-02-01' && spec.createdAt < '2024-02-29'],
      ['createdFrom=2024-02-10T08:00:00Z', (spec: OrderSpec) => spec.createdAt >= '2024-02-10T08:00:00.000Z'],
      ['minTotal=50&maxTotal=85', (spec: OrderSpec) => expectedTotalMinor(spec) >= 5000 && expectedTotalMinor(spec) <= 8500],
      ['maxTotal=24.90', (spec: OrderSpec) => expectedTotalMinor(spec) <= 2490],
      ['currency=USD', (spec: OrderSpec) => spec.currency === 'USD'],
      ['hasAnomalies=true', (spec: OrderSpec) => spec.anomalies !== undefined],
      ['customerId=c3&status=awaiting_payment', (spec: OrderSpec) => spec.customerId === 'c3' && expectedStatus(spec) === 'awaiting_payment'],
    ])('filters by %s', async (query, filter) => {
      const response = await request(app).get(`/api/orders?${query}`).expect(200);
      const expected = sortedKeys(filter);
      expect(expected.length).toBeGreaterThan(0);
      expect(keysOf(response.body)).toEqual(expected);
    });

    it('pages through ties on createdAt without gaps or repeats', async () => {
      for (const limit of [1, 2, 4, specs.length, 200]) {
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const url: string = `/api/orders?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
          const response = await request(app).get(url).expect(200);
          expect(response.body.items.length).toBeLessThanOrEqual(limit);
          seen.push(...(keysOf(response.body) as string[]));
          cursor = response.body.nextCursor;
          pages += 1;
        } while (cursor !== null && pages < 20);
        expect(seen).toEqual(sortedKeys(() => true));
        expect(pages).toBe(Math.max(1, Math.ceil(specs.length / limit)));
      }
    });

    it.each([
      ['limit=0', 'query.limit'],
      ['limit=201', 'query.limit'],
      ['limit=abc', 'query.limit'],
      ['status=lost', 'query.status.0'],
      ['createdFrom=yesterday', 'query.createdFrom'],
      ['minTotal=-5', 'query.minTotal'],
      ['hasAnomalies=yes', 'query.hasAnomalies'],
      ['sort=asc', 'query'],
    ])('rejects %s', async (query, path) => {
      const response = await request(app).get(`/api/orders?${query}`).expect(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.errors[0].path).toBe(path);
    });

    it('rejects a cursor it did not make', async () => {
      const response = await request(app).get('/api/orders?cursor=bm90LWEtY3Vyc29y').expect(400);
      expect(response.body.code).toBe('CURSOR_INVALID');
    });
  });

  describe('GET /api/orders/stats', () => {
    it.each([
      ['UTC', 'month'],
      ['America/Sao_Paulo', 'month'],
      ['Asia/Tokyo', 'month'],
      ['Asia/Tokyo', 'day'],
      ['America/Sao_Paulo', 'week'],
    ])('matches figures computed by hand in %s by %s', async (timeZone, groupBy) => {
      const response = await request(app)
        .get(`/api/orders/stats?from=2024-01-01&to=2024-03-01&timeZone=${timeZone}&groupBy=${groupBy}`)
        .expect(200);
      const expected = expectedStats('2024-01-01', '2024-03-01', timeZone, 'EUR');
      const stats = response.body;
      expect(stats.orders).toBe(expected.orders);
      expect(stats.byStatus).toEqual(expected.byStatus);
      expect(stats.grossSales).toEqual({ amount: amount(expected.grossMinor), currency: 'EUR' });
      expect(stats.averageOrderValue).toEqual(expected.averageMinor === null ? null : { amount: amount(expected.averageMinor), currency: 'EUR' });
      expect(stats.cancellationRate).toBeCloseTo(expected.cancellationRate as number, 10);
      expect(stats.paymentsByMethod).toEqual(
        Object.fromEntries(Object.entries(expected.byMethod).map(([method, minor]) => [method, { amount: amount(minor), currency: 'EUR' }])),
      );
      for (const [name, stage] of Object.entries(expected.stages)) {
        expect(stats.stageDurations[name].count).toBe(stage.count);
        expect(stats.stageDurations[name].invalid).toBe(stage.invalid);
        if (stage.p50 === null) expect(stats.stageDurations[name].p50Hours).toBeNull();
        else expect(stats.stageDurations[name].p50Hours).toBeCloseTo(stage.p50, 3);
        if (stage.p90 === null) expect(stats.stageDurations[name].p90Hours).toBeNull();
        else expect(stats.stageDurations[name].p90Hours).toBeCloseTo(stage.p90, 3);
      }

      const label = (spec: OrderSpec) => {
        const date = localDate(spec.createdAt, timeZone);
        if (groupBy === 'month') return date.slice(0, 7);
        if (groupBy === 'week') return isoWeekLabel(date);
        return date;
      };
      const seriesOrders = Object.fromEntries(
        stats.series.filter((point: { orders: number }) => point.orders > 0).map((point: { period: string; orders: number }) => [point.period, point.orders]),
      );
      const expectedSeries: Record<string, number> = {};
      for (const spec of expected.inRange) expectedSeries[label(spec)] = (expectedSeries[label(spec)] ?? 0) + 1;
      expect(seriesOrders).toEqual(expectedSeries);
      const seriesGross = stats.series.reduce((sum: number, point: { grossSales: { amount: string } }) => sum + Math.round(Number(point.grossSales.amount) * 100), 0);
      expect(seriesGross).toBe(expected.grossMinor);
      if (groupBy === 'month') expect(stats.series.map((point: { period: string }) => point.period)).toEqual(['2024-01', '2024-02']);
      if (groupBy === 'day') expect(stats.series).toHaveLength(31 + 29);
    });

    it('counts a negative stage duration as invalid', async () => {
      const response = await request(app).get('/api/orders/stats?from=2024-03-01T00:00:00Z&to=2024-03-02T00:00:00Z').expect(200);
      expect(response.body.orders).toBe(1);
      expect(response.body.stageDurations.shippedToDelivered).toEqual({ count: 1, invalid: 1, p50Hours: null, p90Hours: null });
      expect(response.body.stageDurations.createdToDelivered.p50Hours).toBe(8);
    });

    it('uses another currency when asked', async () => {
      const response = await request(app).get('/api/orders/stats?from=2024-02-01&to=2024-03-01&currency=USD').expect(200);
      expect(response.body.orders).toBe(1);
      expect(response.body.grossSales).toEqual({ amount: '12.34', currency: 'USD' });
    });

    it('returns zero orders and null ratios for an empty range', async () => {
      const response = await request(app).get('/api/orders/stats?from=2020-01-01&to=2020-01-03').expect(200);
      expect(response.body.orders).toBe(0);
      expect(response.body.averageOrderValue).toBeNull();
      expect(response.body.cancellationRate).toBeNull();
      expect(response.body.series).toHaveLength(2);
    });

    it.each([
      ['from=2024-01-01', 'VALIDATION_FAILED'],
      ['from=2024-02-01&to=2024-01-01', 'STATS_RANGE_INVALID'],
      ['from=2024-01-01&to=2024-02-01&timeZone=Mars/Olympus', 'TIME_ZONE_INVALID'],
      ['from=2024-01-01&to=2024-02-01&groupBy=year', 'VALIDATION_FAILED'],
      ['from=1900-01-01&to=2024-02-01&groupBy=day', 'STATS_RANGE_TOO_LARGE'],
    ])('rejects %s', async (query, code) => {
      const response = await request(app).get(`/api/orders/stats?${query}`).expect(400);
      expect(response.body.code).toBe(code);
    });
  });

  describe('read-your-writes', () => {
    it('waits for the position of a write', async () => {
      const spec = specs[3];
      const facts = orders.get(spec.key) as OrderFacts;
      const revision = facts.events.length - 1;
      const position = await appendMore(env.store, facts.orderId, revision, [
        { type: 'PagoRecibido', data: { paymentId: `${spec.key}-pay-1`, method: 'transfer', amount: { amount: '34.90', currency: 'EUR' }, receivedAt: '2024-03-02T10:00:00.000Z' } },
      ]);
      const response = await request(app).get(`/api/orders/${facts.orderId}/payments/status`).set('X-Min-Event-Position', position).expect(200);
      expect(response.body.status).toBe('paid');
      const order = await request(app).get(`/api/orders/${facts.orderId}`).set('X-Min-Event-Position', position).expect(200);
      expect(order.body.revision).toBe(revision + 1);
    });

    it('answers 503 READ_MODEL_NOT_READY with Retry-After past the bound', async () => {
      const watcher = new CheckpointWatcher(env.db);
      const impatient = queryTestApp({ db: env.db, positions: watcher, readYourWritesTimeoutMs: 200, defaultCurrency: 'EUR' });
      try {
        const response = await request(impatient)
          .get(`/api/orders/${ids.get('a')}`)
          .set('X-Min-Event-Position', 'ffffffffffffffff0000000000000001')
          .expect(503);
        expect(response.body.code).toBe('READ_MODEL_NOT_READY');
        expect(response.headers['retry-after']).toBe('1');
      } finally {
        await watcher.close();
      }
    });

    it('rejects a malformed position', async () => {
      const response = await request(app).get('/api/orders').set('X-Min-Event-Position', 'latest').expect(400);
      expect(response.body.code).toBe('EVENT_POSITION_INVALID');
    });
  });
});
