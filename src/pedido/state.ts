import type { AddressData, OrderStatus, PedidoEvent } from './events';
import { fromMoneyData, type Money } from './money';

/** One order line (LineaPedido). */
export interface PedidoLine {
  readonly itemId: string;
  readonly productId: string;
  readonly quantity: number;
  readonly unitPrice: Money;
  readonly addedAt: string;
}

export interface AppliedDiscount {
  readonly code: string;
  /** Decimal string with at most two decimals, or null for a fixed amount. */
  readonly percentOff: string | null;
  readonly amountOff: Money | null;
  readonly appliedAt: string;
}

export type PaymentStatus = 'requested' | 'confirmed' | 'rejected';

export interface PaymentRecord {
  readonly paymentId: string;
  readonly status: PaymentStatus;
  readonly method: string;
  readonly amount: Money;
  /** Null for a payment PaymentSvc confirmed without a request seen on this order. */
  readonly requestedAt: string | null;
  readonly confirmedAt: string | null;
  readonly rejectedAt: string | null;
  readonly reason: string | null;
}

export interface RefundRecord {
  readonly refundId: string;
  readonly status: 'requested' | 'completed';
  readonly amount: Money;
  /** Null for a refund completed without a request seen on this order (imported history). */
  readonly requestedAt: string | null;
  readonly refundedAt: string | null;
}

/**
 * The Pedido aggregate as folded from its stream. Before `PedidoCreado`
 * (`exists: false`) the status is null and the strings are empty.
 */
export interface PedidoState {
  readonly exists: boolean;
  readonly orderId: string;
  readonly customerId: string;
  readonly currency: string;
  readonly status: OrderStatus | null;
  readonly shippingAddress: AddressData | null;
  readonly notes: string | null;
  readonly lines: readonly PedidoLine[];
  readonly discount: AppliedDiscount | null;
  /** Minor units in the order's currency (0 until a shipping cost is set). */
  readonly shippingMinor: number;
  /** Oldest first. */
  readonly payments: readonly PaymentRecord[];
  /** Oldest first. */
  readonly refunds: readonly RefundRecord[];
  readonly orderNumber: string | null;
  readonly createdAt: string | null;
  /** Time field of the last fact folded. */
  readonly updatedAt: string | null;
  readonly confirmedAt: string | null;
  readonly reservationId: string | null;
  readonly preparingAt: string | null;
  readonly carrier: string | null;
  readonly trackingNumber: string | null;
  readonly shippedAt: string | null;
  readonly deliveredAt: string | null;
  readonly cancelledAt: string | null;
  readonly cancellationReason: string | null;
  /** Reasons recorded by AnomaliasRegistradas (imported history that breaks today's rules). */
  readonly anomalies: readonly string[];
}

export const initialPedidoState: PedidoState = Object.freeze({
  exists: false,
  orderId: '',
  customerId: '',
  currency: '',
  status: null,
  shippingAddress: null,
  notes: null,
  lines: [],
  discount: null,
  shippingMinor: 0,
  payments: [],
  refunds: [],
  orderNumber: null,
  createdAt: null,
  updatedAt: null,
  confirmedAt: null,
  reservationId: null,
  preparingAt: null,
  carrier: null,
  trackingNumber: null,
  shippedAt: null,
  deliveredAt: null,
  cancelledAt: null,
  cancellationReason: null,
  anomalies: [],
});

/** Returns the business time a fact carries in its own time field. */
export function occurredAtOf(event: PedidoEvent): string {
  switch (event.type) {
    case 'PedidoCreado':
      return event.data.createdAt;
    case 'ProductoAgregado':
      return event.data.addedAt;
    case 'CantidadModificada':
      return event.data.changedAt;
    case 'ProductoEliminado':
      return event.data.removedAt;
    case 'DescuentoAplicado':
      return event.data.appliedAt;
    case 'CostoEnvioActualizado':
      return event.data.updatedAt;
    case 'PagoSolicitado':
      return event.data.requestedAt;
    case 'PagoRecibido':
      return event.data.receivedAt;
    case 'PagoRechazado':
      return event.data.rejectedAt;
    case 'PedidoConfirmado':
      return event.data.confirmedAt;
    case 'InventarioReservado':
      return event.data.reservedAt;
    case 'PedidoEnviado':
      return event.data.shippedAt;
    case 'PedidoEntregado':
      return event.data.deliveredAt;
    case 'PedidoCancelado':
      return event.data.cancelledAt;
    case 'ReembolsoSolicitado':
      return event.data.requestedAt;
    case 'ReembolsoCompletado':
      return event.data.refundedAt;
    case 'AnomaliasRegistradas':
      return event.data.detectedAt;
    default:
      return assertNever(event);
  }
}

export function assertNever(value: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`);
}

export function hasOutstandingPayment(state: PedidoState, exceptPaymentId?: string): boolean {
  return state.payments.some((payment) => payment.status === 'requested' && payment.paymentId !== exceptPaymentId);
}

function hasConfirmedPayment(state: PedidoState): boolean {
  return state.payments.some((payment) => payment.status === 'confirmed');
}

function replacePayment(state: PedidoState, updated: PaymentRecord): readonly PaymentRecord[] {
  const exists = state.payments.some((payment) => payment.paymentId === updated.paymentId);
  if (!exists) return [...state.payments, updated];
  return state.payments.map((payment) => (payment.paymentId === updated.paymentId ? updated : payment));
}

function replaceRefund(state: PedidoState, updated: RefundRecord): readonly RefundRecord[] {
  const exists = state.refunds.some((refund) => refund.refundId === updated.refundId);
  if (!exists) return [...state.refunds, updated];
  return state.refunds.map((refund) => (refund.refundId === updated.refundId ? updated : refund));
}

/**
 * Applies one fact. Evolve enforces no live rule, so imported history that
 * today's workflow forbids (shipped after cancelled, a line changed after
 * payment) still folds. A fact about a missing line or payment changes
 * nothing or adds the record. Evolve throws only for malformed money in a fact.
 */
export function evolve(state: PedidoState, event: PedidoEvent): PedidoState {
  const next = applyFact(state, event);
  return { ...next, updatedAt: occurredAtOf(event) };
}

function applyFact(state: PedidoState, event: PedidoEvent): PedidoState {
  switch (event.type) {
    case 'PedidoCreado':
      return {
        ...state,
        exists: true,
        orderId: event.data.orderId,
        customerId: event.data.customerId,
        currency: event.data.currency,
        status: 'pending',
        shippingAddress: event.data.shippingAddress,
        notes: event.data.notes,
        createdAt: event.data.createdAt,
      };

    case 'ProductoAgregado': {
      const line: PedidoLine = {
        itemId: event.data.itemId,
        productId: event.data.productId,
        quantity: event.data.quantity,
        unitPrice: fromMoneyData(event.data.unitPrice),
        addedAt: event.data.addedAt,
      };
      const others = state.lines.filter((existing) => existing.itemId !== line.itemId);
      return { ...state, lines: [...others, line] };
    }

    case 'CantidadModificada':
      return {
        ...state,
        lines: state.lines.map((line) => (line.itemId === event.data.itemId ? { ...line, quantity: event.data.quantity } : line)),
      };

    case 'ProductoEliminado':
      return { ...state, lines: state.lines.filter((line) => line.itemId !== event.data.itemId) };

    case 'DescuentoAplicado':
      return {
        ...state,
        discount: {
          code: event.data.code,
          percentOff: event.data.percentOff,
          amountOff: event.data.amountOff === null ? null : fromMoneyData(event.data.amountOff),
          appliedAt: event.data.appliedAt,
        },
      };

    case 'CostoEnvioActualizado':
      return { ...state, shippingMinor: fromMoneyData(event.data.shippingTotal).minor };

    case 'PagoSolicitado': {
      const payment: PaymentRecord = {
        paymentId: event.data.paymentId,
        status: 'requested',
        method: event.data.method,
        amount: fromMoneyData(event.data.amount),
        requestedAt: event.data.requestedAt,
        confirmedAt: null,
        rejectedAt: null,
        reason: null,
      };
      const status = state.status === 'pending' ? 'awaiting_payment' : state.status;
      return { ...state, status, payments: replacePayment(state, payment) };
    }

    case 'PagoRecibido': {
      const known = state.payments.find((payment) => payment.paymentId === event.data.paymentId);
      const payment: PaymentRecord = {
        paymentId: event.data.paymentId,
        status: 'confirmed',
        method: event.data.method,
        amount: fromMoneyData(event.data.amount),
        requestedAt: known?.requestedAt ?? null,
        confirmedAt: event.data.receivedAt,
        rejectedAt: null,
        reason: null,
      };
      // Money received freezes the lines, like a payment request does.
      const status = state.status === 'pending' ? 'awaiting_payment' : state.status;
      return { ...state, status, payments: replacePayment(state, payment) };
    }

    case 'PagoRechazado': {
      const known = state.payments.find((payment) => payment.paymentId === event.data.paymentId);
      if (!known) return state;
      const rejected: PaymentRecord = { ...known, status: 'rejected', rejectedAt: event.data.rejectedAt, reason: event.data.reason };
      const afterRejection = { ...state, payments: replacePayment(state, rejected) };
      const backToPending =
        state.status === 'awaiting_payment' && !hasOutstandingPayment(afterRejection) && !hasConfirmedPayment(afterRejection);
      return backToPending ? { ...afterRejection, status: 'pending' } : afterRejection;
    }

    case 'PedidoConfirmado':
      return { ...state, status: 'confirmed', orderNumber: event.data.orderNumber, confirmedAt: event.data.confirmedAt };

    case 'InventarioReservado':
      return { ...state, status: 'preparing', reservationId: event.data.reservationId, preparingAt: event.data.reservedAt };

    case 'PedidoEnviado':
      return {
        ...state,
        status: 'shipped',
        carrier: event.data.carrier,
        trackingNumber: event.data.trackingNumber,
        shippedAt: event.data.shippedAt,
      };

    case 'PedidoEntregado':
      return { ...state, status: 'delivered', deliveredAt: event.data.deliveredAt };

    case 'PedidoCancelado':
      return { ...state, status: 'cancelled', cancelledAt: event.data.cancelledAt, cancellationReason: event.data.reason };

    case 'ReembolsoSolicitado':
      return {
        ...state,
        refunds: replaceRefund(state, {
          refundId: event.data.refundId,
          status: 'requested',
          amount: fromMoneyData(event.data.amount),
          requestedAt: event.data.requestedAt,
          refundedAt: null,
        }),
      };

    case 'ReembolsoCompletado': {
      const known = state.refunds.find((refund) => refund.refundId === event.data.refundId);
      return {
        ...state,
        refunds: replaceRefund(state, {
          refundId: event.data.refundId,
          status: 'completed',
          amount: fromMoneyData(event.data.amount),
          requestedAt: known?.requestedAt ?? null,
          refundedAt: event.data.refundedAt,
        }),
      };
    }

    case 'AnomaliasRegistradas':
      return { ...state, anomalies: [...state.anomalies, ...event.data.reasons] };

    default:
      return assertNever(event);
  }
}

/** Folds a stream's events, oldest first, from the initial state. */
export function foldPedido(events: Iterable<PedidoEvent>, from: PedidoState = initialPedidoState): PedidoState {
  let state = from;
  for (const event of events) state = evolve(state, event);
  return state;
}
