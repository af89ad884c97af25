import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { HttpProductCatalog } from '../../../src/integrations/http/adapters';
import { ServiceClient } from '../../../src/integrations/http/service-client';
import { CachedProductCatalog, openCacheRedis } from '../../../src/integrations/product-cache';
import { FakeService } from '../../support/fake-service';

const product = { productId: 'SKU-7', name: 'Lámpara', unitPrice: { amount: '32.40', currency: 'EUR' }, available: 9 };

let fake: FakeService;
let client: ServiceClient;
let redis: Redis;
let keyPrefix: string;

beforeEach(async () => {
  fake = await FakeService.start(() => ({ status: 200, body: product }));
  client = new ServiceClient('ProductSvc', fake.url, { timeoutMs: 1_000 });
  redis = openCacheRedis('redis://127.0.0.1:6379');
  keyPrefix = `test:${randomBytes(4).toString('hex')}:product:`;
  await new Promise((resolve) => redis.once('ready', resolve));
});

afterEach(async () => {
  const keys = await redis.keys(`${keyPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  client.shutdown();
  await fake.close();
});

describe('CachedProductCatalog', () => {
  it('serves a repeated lookup from Redis', async () => {
    const catalog = new CachedProductCatalog(new HttpProductCatalog(client), redis, { keyPrefix });

    expect(await catalog.getProduct('SKU-7')).toEqual(product);
    expect(await catalog.getProduct('SKU-7')).toEqual(product);

    expect(fake.calls).toHaveLength(1);
  });

  it('looks a product up again after invalidate', async () => {
    const catalog = new CachedProductCatalog(new HttpProductCatalog(client), redis, { keyPrefix });
    await catalog.getProduct('SKU-7');

    await catalog.invalidate('SKU-7');
    await catalog.getProduct('SKU-7');

    expect(fake.calls).toHaveLength(2);
  });

  it('works without Redis, only slower', async () => {
    const downRedis = openCacheRedis('redis://127.0.0.1:1');
    try {
      const catalog = new CachedProductCatalog(new HttpProductCatalog(client), downRedis, { keyPrefix });

      expect(await catalog.getProduct('SKU-7')).toEqual(product);
      expect(await catalog.getProduct('SKU-7')).toEqual(product);
      await catalog.invalidate('SKU-7');

      expect(fake.calls).toHaveLength(2);
    } finally {
      downRedis.disconnect();
    }
  });
});
