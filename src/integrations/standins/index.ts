import type { SqlDatabase } from '../../infrastructure/database';
import { resolvePath } from '../../infrastructure/config';
import { readCatalogFile, SAMPLE_CATALOG_FILE, seedCatalog } from './catalog-file';
import { StandinCustomerDirectory } from './customer-directory';
import { type DeliverMessage, StandinPaymentGateway } from './payment-gateway';
import { StandinProductCatalog } from './product-catalog';
import { FlatShippingRates } from './shipping-rates';

export { CatalogFileError, readCatalogFile, SAMPLE_CATALOG_FILE, seedCatalog } from './catalog-file';
export { StandinCustomerDirectory } from './customer-directory';
export { StandinPaymentGateway, uuidFromKey, type DeliverMessage, type StandinInboundMessage } from './payment-gateway';
export { StandinProductCatalog } from './product-catalog';
export { FlatShippingRates } from './shipping-rates';

/**
 * Loads `catalogFile` (or the sample catalog) into `reference_products`.
 * Throws CatalogFileError, naming the file and the entry, when it is invalid.
 * Needs `referenceDataMigrations` applied first.
 */
export async function seedCatalogFromFile(db: SqlDatabase, catalogFile: string | undefined): Promise<void> {
  const file = catalogFile ? resolvePath(catalogFile) : SAMPLE_CATALOG_FILE;
  await seedCatalog(db, readCatalogFile(file));
}

export interface StandinOptions {
  /** `SHIPPING_FLAT_RATE`. */
  shippingFlatRate: string;
  /** `PAYMENT_STANDIN_DELAY` in milliseconds. */
  paymentDelayMs: number;
  /** Hands synthetic PaymentSvc messages to the inbox (`InboxProcessor.process`). */
  deliver: DeliverMessage;
}

export function createStandins(db: SqlDatabase, options: StandinOptions) {
  return {
    productCatalog: new StandinProductCatalog(db),
    customerDirectory: new StandinCustomerDirectory(db),
    paymentGateway: new StandinPaymentGateway({ delayMs: options.paymentDelayMs, deliver: options.deliver }),
    shippingRates: new FlatShippingRates(options.shippingFlatRate),
  };
}
