import { Redis } from 'ioredis';
import { Counter } from 'prom-client';
import { componentLogger, errorFields } from '../infrastructure/logger';
import { metricsRegistry } from '../infrastructure/metrics';
import type { CallOptions, ProductCatalog, ProductInfo } from './ports';

const log = componentLogger('product-cache');

const cacheLookups = new Counter({
  name: 'ordersvc_product_cache_lookups_total',
  help: 'Product lookups served by the Redis cache, by result: hit, miss or error',
  labelNames: ['result'] as const,
  registers: [metricsRegistry],
});

/** The Redis commands the cache uses; an ioredis client provides them. */
export interface CacheRedis {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, mode: 'EX', seconds: number): Promise<unknown>;
  del(...keys: string[]): Promise<number>;
}

export interface ProductCacheOptions {
  /** Seconds a cached product stays valid. */
  ttlSeconds?: number;
  keyPrefix?: string;
}

type ReserveRequest = Parameters<ProductCatalog['reserveStock']>[0];
type ReleaseRequest = Parameters<ProductCatalog['releaseStock']>[0];

/**
 * Caches product lookups in Redis for a short time. Redis is never the source
 * of truth: when it fails, the lookup goes to the catalog and the error is
 * logged (at most once every 30 s), so an outage costs only speed.
 * `invalidate` drops a product, e.g. when `InventarioActualizado` arrives.
 */
export class CachedProductCatalog implements ProductCatalog {
  private readonly ttlSeconds: number;
  private readonly keyPrefix: string;
  private lastErrorLoggedAt = 0;

  constructor(
    private readonly inner: ProductCatalog,
    private readonly redis: CacheRedis,
    options: ProductCacheOptions = {},
  ) {
    this.ttlSeconds = options.ttlSeconds ?? 30;
    this.keyPrefix = options.keyPrefix ?? 'ordersvc:product:';
  }

  async getProduct(productId: string, options?: CallOptions): Promise<ProductInfo | undefined> {
    const key = this.keyPrefix + productId;
    const cached = await this.tryRedis(() => this.redis.get(key));
    if (typeof cached === 'string') {
      cacheLookups.inc({ result: 'hit' });
      return JSON.parse(cached) as ProductInfo;
    }
    cacheLookups.inc({ result: cached === undefined ? 'error' : 'miss' });

    const product = await this.inner.getProduct(productId, options);
    if (product) await this.tryRedis(() => this.redis.set(key, JSON.stringify(product), 'EX', this.ttlSeconds));
    return product;
  }

  async reserveStock(request: ReserveRequest, options?: CallOptions) {
    const result = await this.inner.reserveStock(request, options);
    await this.invalidate(...request.lines.map((line) => line.productId));
    return result;
  }

  async releaseStock(request: ReleaseRequest, options?: CallOptions): Promise<void> {
    await this.inner.releaseStock(request, options);
    // NOTE: the released lines are not known here, so their cached stock stays until the entry expires.
  }

  /** Drops cached products; call it when their stock or price changes. */
  async invalidate(...productIds: string[]): Promise<void> {
    if (productIds.length === 0) return;
    await this.tryRedis(() => this.redis.del(...productIds.map((id) => this.keyPrefix + id)));
  }

  /** Runs a Redis command; returns undefined instead of throwing when Redis fails. */
  private async tryRedis<T>(command: () => Promise<T>): Promise<T | undefined> {
    try {
      return await command();
    } catch (error) {
      if (Date.now() - this.lastErrorLoggedAt > 30_000) {
        this.lastErrorLoggedAt = Date.now();
        log.warn('Redis cache unavailable; serving products without it', errorFields(error));
      }
      return undefined;
    }
  }
}

/**
 * Opens a Redis client for caching that fails fast while Redis is down
 * instead of queueing commands: no offline queue, one try per command and a
 * short command timeout. It reconnects in the background.
 */
export function openCacheRedis(url: string, commandTimeoutMs = 200): Redis {
  const redis = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 1_000,
    retryStrategy: (times) => Math.min(times * 200, 5_000),
  });
  redis.on('error', () => {
    // Reported by the cache when a command fails; connection errors repeat on every reconnect.
  });
  return redis;
}
