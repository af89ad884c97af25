import type { RecordedEvent } from '../eventstore/port';
import type { SqlExecutor } from '../infrastructure/database';
import { parseMoney } from '../pedido/money';
import { orderIdFromStream, type MoneyData } from '../pedido/events';
import { stockReservationKey } from '../integrations/idempotency-keys';
import { uuidFromKey } from '../integrations/standins/payment-gateway';
import {
  addStep,
  armPaymentDeadline,
  createInstance,
  findInstance,
  setPaymentDeadline,
  updateInstance,
  type StepInput,
} from './saga-store';

/**
 * An event whose business time is older than this when it is stored comes
 * from a history import, not from a live command, and starts no workflow.
 * Live commands store their events within milliseconds of deciding them.
 */
export const HISTORY_AGE_MS = 60 * 60 * 1000;

export interface ReactionOptions {
  /** `PAYMENT_TIMEOUT` in milliseconds. */
  paymentTimeoutMs: number;
}

/**
 * Records the work that one event of the global log calls for: an instance
 * for a new live order, a payment deadline, or a step to run. It
 * makes no external call, so it runs in the transaction that advances the
 * checkpoint and a crash can neither lose nor repeat a reaction.
 */
export async function reactToEvent(tx: SqlExecutor, event: RecordedEvent, options: ReactionOptions): Promise<void> {
  const orderId = orderIdFromStream(event.streamId);
  if (!orderId) return;

  if (event.type === 'PedidoCreado') {
    if (isLive(event)) await createInstance(tx, orderId);
    return;
  }
  const instance = await findInstance(tx, orderId);
  if (!instance) return;

  const cause: StepInput = { triggerEventId: event.id, ...(event.metadata.correlationId ? { correlationId: event.metadata.correlationId } : {}) };
  switch (event.type) {
    case 'PagoSolicitado': {
      const { requestedAt } = event.data as { requestedAt: string };
      if (instance.status === 'active') await armPaymentDeadline(tx, orderId, new Date(Date.parse(requestedAt) + options.paymentTimeoutMs).toISOString());
      return;
    }
    case 'PedidoConfirmado':
      await addStep(tx, orderId, 'reserve-stock', 'reserve_stock', cause, stockReservationKey(orderId));
      return;
    case 'InventarioReservado': {
      const { reservationId } = event.data as { reservationId: string | null };
      await updateInstance(tx, orderId, { reservationId });
      return;
    }
    case 'PedidoCancelado': {
      const { refundDue } = event.data as { refundDue: MoneyData };
      await updateInstance(tx, orderId, { status: 'cancelled' });
      await setPaymentDeadline(tx, orderId, null);
      if (isPositive(refundDue)) await addRefundStep(tx, orderId, event, cause);
      if (instance.reservationId) {
        await addStep(tx, orderId, 'release-stock', 'release_stock', { ...cause, reservationId: instance.reservationId });
      }
      return;
    }
    case 'PagoRecibido':
      // A payment confirmed after the order was cancelled is given back.
      if (instance.status === 'cancelled') await addRefundStep(tx, orderId, event, cause);
      return;
    case 'PedidoEnviado':
      await setPaymentDeadline(tx, orderId, null);
      return;
    case 'PedidoEntregado':
      await updateInstance(tx, orderId, { status: 'finished' });
      await setPaymentDeadline(tx, orderId, null);
      return;
    default:
      return;
  }
}

async function addRefundStep(tx: SqlExecutor, orderId: string, event: RecordedEvent, cause: StepInput): Promise<void> {
  const step = `refund-${event.id}`;
  await addStep(tx, orderId, step, 'refund', { ...cause, refundId: uuidFromKey(`${orderId}:${step}`) });
}

function isLive(event: RecordedEvent): boolean {
  const occurredAt = Date.parse(event.metadata.occurredAt);
  const recordedAt = Date.parse(event.recordedAt);
  if (Number.isNaN(occurredAt) || Number.isNaN(recordedAt)) return true;
  return recordedAt - occurredAt < HISTORY_AGE_MS;
}

function isPositive(money: MoneyData | undefined): boolean {
  if (!money) return false;
  try {
    return parseMoney(money.amount, money.currency).minor > 0;
  } catch {
    return false;
  }
}
