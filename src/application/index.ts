import type { Migration } from '../infrastructure/migrations';
import { idempotencyMigrations } from './idempotency/idempotency-store';
import { promotionMigrations } from './promotions/promotion-repository';

export * from './order-command-service';
export * from './use-cases/order-use-cases';
export { IdempotencyStore, idempotencyMigrations, type StoredResponse } from './idempotency/idempotency-store';
export { PromotionRepository, promotionMigrations, type Promotion } from './promotions/promotion-repository';
export { PromotionsFileError, readPromotionsFile, parsePromotions, type PromotionDefinition } from './promotions/promotions-file';
export { applyPaymentMessageDirectly } from './payment-messages-temporary';

/** Tables of the application layer: idempotency keys and promotions. */
export const applicationMigrations: Migration[] = [...idempotencyMigrations, ...promotionMigrations];
