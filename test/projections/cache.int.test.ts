import net from 'node:net';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { OrderCache, ProjectionsWorker } from '../../projections';
import { OrderFacts, appendMore, appendOrder, openProjectionTestEnv, type ProjectionTestEnv } from './fixtures';
import { queryTestApp } from './http';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function uniquePrefix(): string {
  return `ordersvc-test:${randomBytes(4).toString('hex')}:`;
}

/** Returns a local port that refuses connections, by starting a server and closing it again. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function connected(cache: OrderCache): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    if ((await cache.healthCheck().check()).status === 'up') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('Redis did not connect');
}

describe('order cache', () => {
  it('never stores a revision below the floor or over a newer one', async () => {
    const cache = new OrderCache({ url: redisUrl, keyPrefix: uniquePrefix() });
    try {
      await connected(cache);
      await cache.put('order-1', 3, '{"revision":3}');
      expect(await cache.get('order-1')).toEqual({ revision: 3, body: '{"revision":3}' });

      await cache.invalidate([{ orderId: 'order-1', revision: 5 }]);
      expect(await cache.get('order-1')).toBeUndefined();
      await cache.put('order-1', 4, '{"revision":4}');
      expect(await cache.get('order-1')).toBeUndefined();

      await cache.put('order-1', 5, '{"revision":5}');
      await cache.put('order-1', 4, '{"revision":4}');
      expect(await cache.get('order-1')).toEqual({ revision: 5, body: '{"revision":5}' });
    } finally {
      await cache.close();
    }
  });

  describe('with the query routes', () => {
    let env: ProjectionTestEnv;

    beforeEach(async () => {
      env = await openProjectionTestEnv();
    });

    afterEach(async () => {
      await env.close();
    });

    it('serves hits and never an older revision after a write', async () => {
      const cache = new OrderCache({ url: redisUrl, keyPrefix: uniquePrefix() });
      await connected(cache);
      const worker = new ProjectionsWorker({ db: env.db, store: env.store, cache, runnerOptions: { idleWaitMs: 500 } });
      await worker.start();
      try {
        const order = new OrderFacts('EUR', 'c1', '2024-05-01T10:00:00.000Z').addLine('p1', 1, '10.00');
        const created = await appendOrder(env.store, order);
        expect(await worker.waitForPosition(created, ['orders'], 30_000)).toBe(true);
        const app = queryTestApp({ db: env.db, positions: worker, readYourWritesTimeoutMs: 10_000, defaultCurrency: 'EUR', cache });

        const miss = await request(app).get(`/api/orders/${order.orderId}`).expect(200);
        expect(miss.headers['x-cache']).toBe('miss');
        const hit = await request(app).get(`/api/orders/${order.orderId}`).expect(200);
        expect(hit.headers['x-cache']).toBe('hit');
        expect(hit.body).toEqual(miss.body);

        const changed = await appendMore(env.store, order.orderId, 1, [
          { type: 'CantidadModificada', data: { itemId: 'item-1', productId: 'p1', previousQuantity: 1, quantity: 3, changedAt: '2024-05-01T11:00:00.000Z' } },
        ]);
        expect(await worker.waitForPosition(changed, ['orders'], 30_000)).toBe(true);
        const after = await request(app).get(`/api/orders/${order.orderId}`).expect(200);
        expect(after.body.revision).toBe(2);
        expect(after.body.total).toEqual({ amount: '30.00', currency: 'EUR' });
        expect(after.headers.etag).toBe('"2"');
      } finally {
        await worker.stop();
        await cache.close();
      }
    });

    it('answers from PostgreSQL while Redis is down', async () => {
      const cache = new OrderCache({ url: `redis://127.0.0.1:${await closedPort()}`, keyPrefix: uniquePrefix() });
      const worker = new ProjectionsWorker({ db: env.db, store: env.store, cache, runnerOptions: { idleWaitMs: 500 } });
      await worker.start();
      try {
        const order = new OrderFacts('EUR', 'c1', '2024-05-01T10:00:00.000Z').addLine('p1', 2, '10.00');
        const created = await appendOrder(env.store, order);
        expect(await worker.waitForPosition(created, ['orders'], 30_000)).toBe(true);
        const app = queryTestApp({ db: env.db, positions: worker, readYourWritesTimeoutMs: 10_000, defaultCurrency: 'EUR', cache });
        for (let attempt = 0; attempt < 3; attempt += 1) {
          const response = await request(app).get(`/api/orders/${order.orderId}`).expect(200);
          expect(response.body.total).toEqual({ amount: '20.00', currency: 'EUR' });
          expect(response.headers['x-cache']).toBe('miss');
        }
        expect((await cache.healthCheck().check()).status).toBe('degraded');
      } finally {
        await worker.stop();
        await cache.close();
      }
    });
  });
});
