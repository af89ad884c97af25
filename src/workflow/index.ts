export { OrderProcessManager, OrderProcessManager as ProcessManagerWorker, type OrderProcessManagerOptions } from './order-process-manager';
export { processManagerMigrations, findInstance, findSteps, type SagaInstance, type SagaStep } from './saga-store';
export { HISTORY_AGE_MS } from './saga-reactions';
export type { OrderCommands } from './saga-steps';
