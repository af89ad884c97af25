import type { EventStore } from '../eventstore/port';
import type { Config } from '../infrastructure/config';
import type { SqlDatabase } from '../infrastructure/database';
import type { PaymentGateway, ProductCatalog } from '../integrations/ports';
import { OrderProcessManager } from './order-process-manager';
import type { OrderCommands } from './saga-steps';

export { OrderProcessManager, OrderProcessManager as ProcessManagerWorker, type OrderProcessManagerOptions } from './order-process-manager';
export { processManagerMigrations, findInstance, findSteps, type SagaInstance, type SagaStep } from './saga-store';
export { HISTORY_AGE_MS } from './saga-reactions';
export type { OrderCommands } from './saga-steps';

/** Builds the process manager from the service's parts; start it where the `saga` role runs. */
export function createProcessManager(
  config: Pick<Config, 'PAYMENT_TIMEOUT'>,
  parts: {
    db: SqlDatabase;
    eventStore: EventStore;
    commands: OrderCommands;
    integrations: { productCatalog: ProductCatalog; paymentGateway: PaymentGateway };
  },
): OrderProcessManager {
  return new OrderProcessManager({
    db: parts.db,
    eventStore: parts.eventStore,
    orders: parts.commands,
    productCatalog: parts.integrations.productCatalog,
    paymentGateway: parts.integrations.paymentGateway,
    paymentTimeoutMs: config.PAYMENT_TIMEOUT,
  });
}
