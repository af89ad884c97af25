import {
  decide,
  DomainError,
  foldPedido,
  type DecideContext,
  type DomainErrorCode,
  type MoneyData,
  type PedidoCommand,
  type PedidoEvent,
  type PedidoState,
} from '../../../src/pedido';

export const ORDER_ID = '1a2b3c4d-5e6f-4a0b-8c0d-0123456789ab';
export const NOW = '2026-12-04T10:00:00.000Z';
export const EARLIER = '2026-12-01T09:00:00.000Z';

export function contextAt(now: string = NOW, maxLineQuantity = 100): DecideContext {
  let next = 0;
  return { now, maxLineQuantity, newId: () => `id-${(next += 1)}` };
}

export function eur(amount: string): MoneyData {
  return { amount, currency: 'EUR' };
}

export interface Outcome {
  /** Expects exactly these facts. */
  then(expected: PedidoEvent[]): void;
  /** Expects a DomainError with this code (and these params, if given). */
  thenFails(code: DomainErrorCode, params?: Record<string, unknown>): void;
  /** Returns the facts and the state after folding them. */
  result(): { events: PedidoEvent[]; state: PedidoState };
}

/**
 * Given these facts, when this command is decided, then these facts (or
 * this error) follow: the shape of every aggregate specification here.
 */
export function given(history: PedidoEvent[]) {
  return {
    when(command: PedidoCommand, context: DecideContext = contextAt()): Outcome {
      const before = foldPedido(history);
      const run = () => decide(command, before, context);
      return {
        then(expected) {
          expect(run()).toEqual(expected);
        },
        thenFails(code, params) {
          let caught: unknown;
          try {
            run();
          } catch (error) {
            caught = error;
          }
          expect(caught).toBeInstanceOf(DomainError);
          const error = caught as DomainError;
          expect(error.code).toBe(code);
          if (params) expect(error.params).toMatchObject(params);
        },
        result() {
          const events = run();
          return { events, state: foldPedido(events, before) };
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------
// Fact builders with sensible defaults (EUR, order ORDER_ID, time EARLIER)

export const fact = {
  created(currency = 'EUR', orderId = ORDER_ID): PedidoEvent {
    return {
      type: 'PedidoCreado',
      data: { orderId, customerId: 'customer-1', currency, shippingAddress: null, notes: null, createdAt: EARLIER },
    };
  },
  added(itemId: string, productId: string, quantity: number, unitPrice: MoneyData): PedidoEvent {
    return { type: 'ProductoAgregado', data: { itemId, productId, quantity, unitPrice, addedAt: EARLIER } };
  },
  shipping(shippingTotal: MoneyData): PedidoEvent {
    return { type: 'CostoEnvioActualizado', data: { shippingTotal, updatedAt: EARLIER } };
  },
  percentDiscount(code: string, percentOff: string): PedidoEvent {
    return { type: 'DescuentoAplicado', data: { code, percentOff, amountOff: null, appliedAt: EARLIER } };
  },
  amountDiscount(code: string, amountOff: MoneyData): PedidoEvent {
    return { type: 'DescuentoAplicado', data: { code, percentOff: null, amountOff, appliedAt: EARLIER } };
  },
  paymentRequested(paymentId: string, amount: MoneyData, method = 'card'): PedidoEvent {
    return { type: 'PagoSolicitado', data: { paymentId, method, amount, requestedAt: EARLIER } };
  },
  paymentReceived(paymentId: string, amount: MoneyData, method = 'card'): PedidoEvent {
    return { type: 'PagoRecibido', data: { paymentId, method, amount, receivedAt: EARLIER } };
  },
  paymentRejected(paymentId: string, reason = 'card_declined'): PedidoEvent {
    return { type: 'PagoRechazado', data: { paymentId, reason, rejectedAt: EARLIER } };
  },
  confirmed(total: MoneyData, orderNumber = 'PED-20261201-1A2B3C4D5E6F'): PedidoEvent {
    return { type: 'PedidoConfirmado', data: { orderNumber, total, confirmedAt: EARLIER } };
  },
  reserved(reservationId: string | null = 'reservation-1'): PedidoEvent {
    return { type: 'InventarioReservado', data: { reservationId, reservedAt: EARLIER } };
  },
  shipped(): PedidoEvent {
    return { type: 'PedidoEnviado', data: { carrier: 'Correos', trackingNumber: 'TRACK-1', shippedAt: EARLIER } };
  },
  delivered(): PedidoEvent {
    return { type: 'PedidoEntregado', data: { deliveredAt: EARLIER } };
  },
  cancelled(refundDue: MoneyData, reason: string | null = null): PedidoEvent {
    return { type: 'PedidoCancelado', data: { reason, cancelledAt: EARLIER, refundDue } };
  },
  refundRequested(refundId: string, amount: MoneyData): PedidoEvent {
    return { type: 'ReembolsoSolicitado', data: { refundId, amount, requestedAt: EARLIER } };
  },
  refundCompleted(refundId: string, amount: MoneyData): PedidoEvent {
    return { type: 'ReembolsoCompletado', data: { refundId, amount, refundedAt: EARLIER } };
  },
};

// ---------------------------------------------------------------------------
// Histories of an order in each status: two lines worth 25.00 EUR, shipping 5.00, total 30.00

export const history = {
  pending(): PedidoEvent[] {
    return [
      fact.created(),
      fact.added('item-1', 'product-1', 2, eur('10.00')),
      fact.added('item-2', 'product-2', 1, eur('5.00')),
      fact.shipping(eur('5.00')),
    ];
  },
  empty(): PedidoEvent[] {
    return [fact.created()];
  },
  awaitingPayment(): PedidoEvent[] {
    return [...history.pending(), fact.paymentRequested('payment-1', eur('30.00'))];
  },
  confirmed(): PedidoEvent[] {
    return [...history.awaitingPayment(), fact.paymentReceived('payment-1', eur('30.00')), fact.confirmed(eur('30.00'))];
  },
  preparing(): PedidoEvent[] {
    return [...history.confirmed(), fact.reserved()];
  },
  shipped(): PedidoEvent[] {
    return [...history.preparing(), fact.shipped()];
  },
  delivered(): PedidoEvent[] {
    return [...history.shipped(), fact.delivered()];
  },
  cancelledAfterPayment(): PedidoEvent[] {
    return [...history.confirmed(), fact.cancelled(eur('30.00'), 'customer request')];
  },
  cancelledUnpaid(): PedidoEvent[] {
    return [...history.pending(), fact.cancelled(eur('0.00'))];
  },
};
