import type { Redis } from 'ioredis';
import type { Config } from '../infrastructure/config';
import type { SqlDatabase } from '../infrastructure/database';
import type { HealthCheck } from '../infrastructure/health';
import { componentLogger } from '../infrastructure/logger';
import { HttpCustomerDirectory, HttpPaymentGateway, HttpProductCatalog } from './http/adapters';
import { type ResilienceOptions, ServiceClient } from './http/service-client';
import type { CustomerDirectory, PaymentGateway, ProductCatalog, ShippingRates } from './ports';
import { CachedProductCatalog, type CacheRedis, openCacheRedis } from './product-cache';
import {
  type DeliverMessage,
  FlatShippingRates,
  seedCatalogFromFile,
  StandinCustomerDirectory,
  StandinPaymentGateway,
  StandinProductCatalog,
} from './standins';

export { referenceDataMigrations, upsertCustomer, upsertProduct, findCustomer, findProduct, listProducts } from './reference-data';
export { ServiceUnavailableError } from './ports';
export { ClientHttpError, ServiceClient } from './http/service-client';
export type { DeliverMessage, StandinInboundMessage } from './standins';

const log = componentLogger('integrations');

export interface IntegrationDependencies {
  /** The service database, migrated with `referenceDataMigrations`. */
  db: SqlDatabase;
  /** Hands messages from the PaymentSvc stand-in to the inbox (`(m) => inboxProcessor.process(m)`). */
  deliver: DeliverMessage;
  /** A Redis client for the product cache; without one, `REDIS_URL` opens one. */
  redis?: CacheRedis;
  /** Overrides of the call policy (tests shorten the breaker's times). */
  resilience?: Partial<ResilienceOptions>;
}

export interface Integrations {
  productCatalog: ProductCatalog;
  customerDirectory: CustomerDirectory;
  paymentGateway: PaymentGateway;
  shippingRates: ShippingRates;
  /** One check per configured service reporting its circuit state; not required for readiness. */
  healthChecks: HealthCheck[];
  /** Drops a product from the cache; the inbox calls it for `InventarioActualizado`. */
  invalidateProduct(productId: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Builds the ports: an HTTP adapter for each service whose URL is configured,
 * an in-process stand-in for the others. The ProductSvc stand-in seeds
 * `reference_products` from `CATALOG_FILE` (or the sample catalog) and
 * throws CatalogFileError for an invalid file.
 */
export async function createIntegrations(config: Config, deps: IntegrationDependencies): Promise<Integrations> {
  const resilience = { timeoutMs: config.EXTERNAL_CALL_TIMEOUT, ...deps.resilience };
  const clients: ServiceClient[] = [];
  const clientFor = (service: 'ProductSvc' | 'PaymentSvc' | 'UserSvc', url: string) => {
    const client = new ServiceClient(service, url, resilience);
    clients.push(client);
    return client;
  };

  // 1. ProductSvc, with the cache in front when Redis is configured.
  let productCatalog: ProductCatalog;
  if (config.PRODUCT_SERVICE_URL) {
    productCatalog = new HttpProductCatalog(clientFor('ProductSvc', config.PRODUCT_SERVICE_URL));
  } else {
    await seedCatalogFromFile(deps.db, config.CATALOG_FILE);
    productCatalog = new StandinProductCatalog(deps.db);
  }
  const ownRedis: Redis | undefined = !deps.redis && config.REDIS_URL ? openCacheRedis(config.REDIS_URL) : undefined;
  const redis = deps.redis ?? ownRedis;
  const cached = redis ? new CachedProductCatalog(productCatalog, redis) : undefined;

  // 2. PaymentSvc and UserSvc.
  const standinPayments = config.PAYMENT_SERVICE_URL
    ? undefined
    : new StandinPaymentGateway({ delayMs: config.PAYMENT_STANDIN_DELAY, deliver: deps.deliver });
  const paymentGateway: PaymentGateway = config.PAYMENT_SERVICE_URL
    ? new HttpPaymentGateway(clientFor('PaymentSvc', config.PAYMENT_SERVICE_URL))
    : (standinPayments as StandinPaymentGateway);
  const customerDirectory: CustomerDirectory = config.USER_SERVICE_URL
    ? new HttpCustomerDirectory(clientFor('UserSvc', config.USER_SERVICE_URL))
    : new StandinCustomerDirectory(deps.db);

  log.info('integrations ready', {
    productSvc: config.PRODUCT_SERVICE_URL ? 'http' : 'standin',
    paymentSvc: config.PAYMENT_SERVICE_URL ? 'http' : 'standin',
    userSvc: config.USER_SERVICE_URL ? 'http' : 'standin',
    productCache: redis ? 'redis' : 'off',
  });

  return {
    productCatalog: cached ?? productCatalog,
    customerDirectory,
    paymentGateway,
    shippingRates: new FlatShippingRates(config.SHIPPING_FLAT_RATE),
    healthChecks: clients.map((client) => client.healthCheck()),
    invalidateProduct: async (productId) => cached?.invalidate(productId),
    async stop() {
      await standinPayments?.stop();
      for (const client of clients) client.shutdown();
      ownRedis?.disconnect();
    },
  };
}
