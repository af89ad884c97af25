import type { OrderCommandService } from '../application/order-command-service';
import type { SqlDatabase, SqlExecutor } from '../infrastructure/database';
import { componentLogger } from '../infrastructure/logger';
import type { PaymentGateway, ProductCatalog } from '../integrations/ports';
import { DomainError } from '../pedido/errors';
import { toMoneyData } from '../pedido/money';
import type { PedidoCommand } from '../pedido/commands';
import type { PedidoState } from '../pedido/state';
import { totalsOf } from '../pedido/totals';
import { addStep, markDone, markFailed, markRunning, saveResult, type SagaStep } from './saga-store';

const log = componentLogger('order-process-manager');

/** The part of the command service the process manager uses. */
export type OrderCommands = Pick<OrderCommandService, 'load' | 'execute'>;

export interface StepDependencies {
  db: SqlDatabase;
  orders: OrderCommands;
  productCatalog: ProductCatalog;
  paymentGateway: PaymentGateway;
  /** Bounds every external call of a step. */
  signal?: AbortSignal;
}

/**
 * Runs one step to its end. External calls use the step's idempotency key,
 * and every command that follows one commits together with the step's `done`
 * mark, so re-running a step after a crash repeats no effect.
 */
export async function runStep(step: SagaStep, deps: StepDependencies): Promise<void> {
  switch (step.kind) {
    case 'reserve_stock':
      return reserveStock(step, deps);
    case 'release_stock':
      return releaseStock(step, deps);
    case 'refund':
      return refund(step, deps);
  }
}

/** After confirmation: reserve the lines with ProductSvc, then move the order to `preparing`; no stock cancels the order. */
async function reserveStock(step: SagaStep, deps: StepDependencies): Promise<void> {
  // 1. Only a confirmed order is reserved; a cancelled or already prepared one ends the step.
  const order = await deps.orders.load(step.orderId);
  if (!order || order.state.status !== 'confirmed') {
    await markDone(deps.db, step, { skipped: order?.state.status ?? 'missing' });
    return;
  }

  // 2. The external call, recorded before and after.
  await markRunning(deps.db, step);
  const reservation = await deps.productCatalog.reserveStock(
    { orderId: step.orderId, lines: linesOf(order.state), idempotencyKey: step.idempotencyKey },
    { signal: deps.signal },
  );
  await saveResult(deps.db, step, reservation);

  // 3. The command that follows, committed with the step's end.
  if (reservation.reserved) {
    try {
      await execute(deps, step, { type: 'ReservarInventario', reservationId: reservation.reservationId }, reservation);
      log.info('inventory reserved', { orderId: step.orderId, reservationId: reservation.reservationId });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      // `PUT status preparing` reserves with the same key, so the reservation may already be the order's.
      const current = await deps.orders.load(step.orderId);
      if (current?.state.reservationId === reservation.reservationId) {
        await markDone(deps.db, step, { ...reservation, appliedBy: 'another request' });
        return;
      }
      // The order changed (cancelled, say) while the stock was being reserved: give the stock back.
      await deps.db.transaction(async (tx) => {
        await addStep(tx, step.orderId, 'release-stock', 'release_stock', { ...step.input, reservationId: reservation.reservationId });
        await markDone(tx, step, { ...reservation, applied: false, error: error.code });
      });
      log.info('reserved stock no longer needed; releasing it', { orderId: step.orderId, errorCode: error.code });
    }
    return;
  }
  const reason = `stock could not be reserved: ${reservation.reason}`;
  await execute(deps, step, { type: 'CancelarPedido', reason }, reservation);
  log.info('order cancelled for lack of stock', { orderId: step.orderId });
}

async function releaseStock(step: SagaStep, deps: StepDependencies): Promise<void> {
  const reservationId = step.input.reservationId;
  if (!reservationId) {
    await markDone(deps.db, step, { skipped: 'no reservation' });
    return;
  }
  await markRunning(deps.db, step);
  await deps.productCatalog.releaseStock({ orderId: step.orderId, reservationId, idempotencyKey: step.idempotencyKey }, { signal: deps.signal });
  await markDone(deps.db, step, { released: reservationId });
  log.info('stock released', { orderId: step.orderId, reservationId });
}

/** Gives back what a cancelled order has paid: SolicitarReembolso, the PaymentSvc refund, then CompletarReembolso. */
async function refund(step: SagaStep, deps: StepDependencies): Promise<void> {
  const refundId = step.input.refundId ?? step.idempotencyKey;
  const order = await deps.orders.load(step.orderId);
  if (!order) {
    await markDone(deps.db, step, { skipped: 'missing' });
    return;
  }

  // 1. The refund request is stored first (or found stored by an earlier attempt).
  let known = order.state.refunds.find((candidate) => candidate.refundId === refundId);
  if (known?.status === 'completed') {
    await markDone(deps.db, step, { refundId, completed: true });
    return;
  }
  if (!known) {
    const refundable = totalsOf(order.state).refundable;
    if (refundable.minor <= 0) {
      await markDone(deps.db, step, { skipped: 'nothing to refund' });
      return;
    }
    const outcome = await deps.orders.execute(
      step.orderId,
      { type: 'SolicitarReembolso', refundId, amount: toMoneyData(refundable) },
      { metadata: metadataOf(step) },
    );
    known = outcome.state.refunds.find((candidate) => candidate.refundId === refundId);
    if (!known) throw new Error(`refund ${refundId} missing after SolicitarReembolso`);
  }

  // 2. The external call, recorded before and after.
  await markRunning(deps.db, step);
  const amount = toMoneyData(known.amount);
  const answer = await deps.paymentGateway.requestRefund(
    { orderId: step.orderId, refundId, amount, idempotencyKey: step.idempotencyKey },
    { signal: deps.signal },
  );
  if (!answer.accepted) {
    await markFailed(deps.db, step, `PaymentSvc refused refund ${refundId}: ${answer.reason}`);
    log.error('refund refused by PaymentSvc; needs manual follow-up', { orderId: step.orderId, refundId, reason: answer.reason });
    return;
  }
  await saveResult(deps.db, step, { refundId, accepted: true });

  // 3. The refund is complete once PaymentSvc accepted it.
  await execute(deps, step, { type: 'CompletarReembolso', refundId }, { refundId, amount });
  log.info('refund completed', { orderId: step.orderId, refundId, amount: `${amount.amount} ${amount.currency}` });
}

async function execute(deps: StepDependencies, step: SagaStep, command: PedidoCommand, result: object): Promise<void> {
  await deps.orders.execute(step.orderId, command, {
    metadata: metadataOf(step),
    withinTransaction: async (tx: SqlExecutor) => markDone(tx, step, { ...result }),
  });
}

function metadataOf(step: SagaStep): { causationId: string; correlationId?: string } {
  return { causationId: step.input.triggerEventId, ...(step.input.correlationId ? { correlationId: step.input.correlationId } : {}) };
}

function linesOf(state: PedidoState): { productId: string; quantity: number }[] {
  const totals = new Map<string, number>();
  for (const line of state.lines) totals.set(line.productId, (totals.get(line.productId) ?? 0) + line.quantity);
  return [...totals].map(([productId, quantity]) => ({ productId, quantity }));
}
