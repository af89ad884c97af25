import Redis from 'ioredis';
import type { SqlExecutor } from '../src/infrastructure/database';
import type { HealthCheck } from '../src/infrastructure/health';
import { componentLogger, errorFields } from '../src/infrastructure/logger';
import type { ChangedOrder } from './projection';

const log = componentLogger('order-cache');

/**
 * Each order is one hash: `rev` and `body` (the cached response) and `floor`,
 * the lowest revision the cache may still serve. The projection raises the
 * floor inside its transaction, before it commits a new revision, so a reader
 * that read the older row a moment earlier can no longer store it.
 */
const storeIfNewerScript = `
local floor = tonumber(redis.call('HGET', KEYS[1], 'floor') or '-1')
local current = tonumber(redis.call('HGET', KEYS[1], 'rev') or '-1')
local revision = tonumber(ARGV[1])
if revision < floor or revision <= current then return 0 end
redis.call('HSET', KEYS[1], 'rev', ARGV[1], 'body', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
`;

const raiseFloorScript = `
local floor = tonumber(redis.call('HGET', KEYS[1], 'floor') or '-1')
local revision = tonumber(ARGV[1])
if revision > floor then redis.call('HSET', KEYS[1], 'floor', ARGV[1]) end
local current = tonumber(redis.call('HGET', KEYS[1], 'rev') or '-1')
if current < revision then redis.call('HDEL', KEYS[1], 'rev', 'body') end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
`;

type CacheCommands = Redis & {
  storeIfNewer(key: string, revision: number, body: string, ttlSeconds: number): Promise<number>;
  raiseFloor(key: string, revision: number, ttlSeconds: number): Promise<number>;
};

export interface OrderCacheOptions {
  url: string;
  /** Prefix of every key, so several services or tests can share one Redis. */
  keyPrefix?: string;
  ttlSeconds?: number;
  /** Maximum time one Redis command may take before the read goes to PostgreSQL. */
  commandTimeoutMs?: number;
}

/** A cached order response and the revision it shows. */
export interface CachedOrder {
  revision: number;
  body: string;
}

/**
 * Read-through cache of order responses in Redis. It never returns a revision
 * older than the read model's, and every Redis failure turns into a cache miss,
 * so an outage only costs speed. Errors are logged at most once per interval.
 */
export class OrderCache {
  private readonly redis: CacheCommands;
  private readonly keyPrefix: string;
  private readonly ttlSeconds: number;
  private lastErrorLogAt = 0;
  private suppressedErrors = 0;

  constructor(options: OrderCacheOptions) {
    this.keyPrefix = options.keyPrefix ?? 'ordersvc:';
    this.ttlSeconds = options.ttlSeconds ?? 300;
    const redis = new Redis(options.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 150,
      connectTimeout: 1_000,
      retryStrategy: (attempt: number) => Math.min(attempt * 200, 5_000),
    });
    redis.on('error', (error: Error) => this.reportError('redis connection error', error));
    redis.defineCommand('storeIfNewer', { numberOfKeys: 1, lua: storeIfNewerScript });
    redis.defineCommand('raiseFloor', { numberOfKeys: 1, lua: raiseFloorScript });
    this.redis = redis as CacheCommands;
  }

  private key(orderId: string): string {
    return `${this.keyPrefix}order:${orderId}`;
  }

  /** Returns the cached response, or undefined on a miss or any Redis failure. */
  async get(orderId: string): Promise<CachedOrder | undefined> {
    try {
      const [revision, body, floor] = await this.redis.hmget(this.key(orderId), 'rev', 'body', 'floor');
      if (revision === null || body === null) return undefined;
      if (floor !== null && Number(revision) < Number(floor)) return undefined;
      return { revision: Number(revision), body };
    } catch (error) {
      this.reportError('cache read failed', error);
      return undefined;
    }
  }

  /** Stores a response unless the cache already has it or a newer revision, or the floor is above it. */
  async put(orderId: string, revision: number, body: string): Promise<void> {
    try {
      await this.redis.storeIfNewer(this.key(orderId), revision, body, this.ttlSeconds);
    } catch (error) {
      this.reportError('cache write failed', error);
    }
  }

  /**
   * Raises the floor of orders a projection batch is about to commit. Failures
   * are logged, not thrown, so Redis never stops a projection.
   * NOTE: a floor lost to an outage lets an older cached revision be served until its TTL ends.
   */
  async invalidate(changed: readonly ChangedOrder[]): Promise<void> {
    if (changed.length === 0) return;
    try {
      const pipeline = this.redis.pipeline();
      for (const order of changed) {
        (pipeline as unknown as CacheCommands).raiseFloor(this.key(order.orderId), order.revision, this.ttlSeconds);
      }
      const results = await pipeline.exec();
      const failed = results?.find(([error]) => error !== null);
      if (failed) throw failed[0];
    } catch (error) {
      this.reportError('cache invalidation failed', error);
    }
  }

  healthCheck(): HealthCheck {
    return {
      name: 'redis',
      required: false,
      check: async () => {
        try {
          await this.redis.ping();
          return { status: 'up' };
        } catch (error) {
          return { status: 'degraded', detail: `Redis is not answering (${(error as Error).message}); reads skip the cache` };
        }
      },
    };
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  private reportError(message: string, error: unknown): void {
    const now = Date.now();
    if (now - this.lastErrorLogAt < 30_000) {
      this.suppressedErrors += 1;
      return;
    }
    log.warn(message, { ...errorFields(error), suppressedSinceLastLog: this.suppressedErrors });
    this.lastErrorLogAt = now;
    this.suppressedErrors = 0;
  }
}

/** A runner hook that raises the cache floor of the orders a batch changes, inside its transaction. */
export function cacheInvalidationHook(cache: OrderCache) {
  return async (_tx: SqlExecutor, projection: string, changed: ChangedOrder[]): Promise<void> => {
    if (projection === 'orders') await cache.invalidate(changed);
  };
}
