import { formatAmount, orderNumberFor, totalsOf, type OrderStatus, type PedidoCommand, type PedidoEvent } from '../../../src/pedido';
import { eur, fact, given, history, NOW } from './given';

const statusCommands: Record<'preparing' | 'shipped' | 'delivered' | 'cancelled', PedidoCommand> = {
  preparing: { type: 'ReservarInventario', reservationId: 'reservation-9' },
  shipped: { type: 'MarcarPedidoComoEnviado', carrier: 'SEUR', trackingNumber: 'ABC123' },
  delivered: { type: 'ConfirmarEntrega' },
  cancelled: { type: 'CancelarPedido', reason: 'changed my mind' },
};

const histories: Record<OrderStatus, () => PedidoEvent[]> = {
  pending: history.pending,
  awaiting_payment: history.awaitingPayment,
  confirmed: history.confirmed,
  preparing: history.preparing,
  shipped: history.shipped,
  delivered: history.delivered,
  cancelled: history.cancelledUnpaid,
};

/** The workflow's allowed moves by status command; anything else is INVALID_STATUS_TRANSITION. */
const allowed: Record<OrderStatus, Array<keyof typeof statusCommands>> = {
  pending: ['cancelled'],
  awaiting_payment: ['cancelled'],
  confirmed: ['preparing', 'cancelled'],
  preparing: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  delivered: [],
  cancelled: [],
};

describe.each(Object.keys(histories) as OrderStatus[])('an order %s', (from) => {
  for (const to of Object.keys(statusCommands) as Array<keyof typeof statusCommands>) {
    if (allowed[from].includes(to)) {
      it(`moves to ${to}`, () => {
        const { events, state } = given(histories[from]()).when(statusCommands[to]).result();
        expect(events).toHaveLength(1);
        expect(state.status).toBe(to);
      });
    } else if (from === 'cancelled' && to === 'cancelled') {
      it('appends nothing when cancelled again', () => {
        given(histories[from]()).when(statusCommands[to]).then([]);
      });
    } else {
      it(`rejects a move to ${to}`, () => {
        given(histories[from]()).when(statusCommands[to]).thenFails('INVALID_STATUS_TRANSITION', { from, to });
      });
    }
  }
});

describe('a confirmed order', () => {
  it('reserves inventory', () => {
    given(history.confirmed())
      .when({ type: 'ReservarInventario', reservationId: null })
      .then([{ type: 'InventarioReservado', data: { reservationId: null, reservedAt: NOW } }]);
  });

  it('is cancelled with all it was paid due back', () => {
    given(history.confirmed())
      .when({ type: 'CancelarPedido', reason: 'out of stock' })
      .then([{ type: 'PedidoCancelado', data: { reason: 'out of stock', cancelledAt: NOW, refundDue: eur('30.00') } }]);
  });
});

describe('a preparing order', () => {
  it('ships with its carrier and tracking number', () => {
    const { events, state } = given(history.preparing()).when(statusCommands.shipped).result();
    expect(events).toEqual([{ type: 'PedidoEnviado', data: { carrier: 'SEUR', trackingNumber: 'ABC123', shippedAt: NOW } }]);
    expect(state).toMatchObject({ carrier: 'SEUR', trackingNumber: 'ABC123', shippedAt: NOW });
  });
});

describe('a shipped order', () => {
  it('is delivered', () => {
    given(history.shipped()).when({ type: 'ConfirmarEntrega' }).then([{ type: 'PedidoEntregado', data: { deliveredAt: NOW } }]);
  });
});

describe('a pending order', () => {
  it('is cancelled with nothing due back', () => {
    const { events, state } = given(history.pending()).when({ type: 'CancelarPedido', reason: null }).result();
    expect(events).toEqual([{ type: 'PedidoCancelado', data: { reason: null, cancelledAt: NOW, refundDue: eur('0.00') } }]);
    expect(state).toMatchObject({ status: 'cancelled', cancelledAt: NOW, cancellationReason: null });
    expect(formatAmount(totalsOf(state).due)).toBe('0.00');
  });
});

describe('an order partly paid', () => {
  it('is cancelled with the part paid due back', () => {
    const partlyPaid = [...history.pending(), fact.paymentRequested('payment-1', eur('12.34')), fact.paymentReceived('payment-1', eur('12.34'))];
    const { events } = given(partlyPaid).when({ type: 'CancelarPedido', reason: null }).result();
    expect(events[0]).toMatchObject({ data: { refundDue: eur('12.34') } });
  });
});

describe('a cancelled order that was paid', () => {
  const refund = (refundId: string, amount: string) => ({ type: 'SolicitarReembolso', refundId, amount: eur(amount) }) as const;

  it('requests a refund', () => {
    given(history.cancelledAfterPayment())
      .when(refund('refund-1', '30'))
      .then([{ type: 'ReembolsoSolicitado', data: { refundId: 'refund-1', amount: eur('30.00'), requestedAt: NOW } }]);
  });

  it('requests a refund in parts up to what was paid', () => {
    const firstPart = [...history.cancelledAfterPayment(), fact.refundRequested('refund-1', eur('10.00'))];
    expect(given(firstPart).when(refund('refund-2', '20.00')).result().events).toHaveLength(1);
    given(firstPart).when(refund('refund-2', '20.01')).thenFails('REFUND_AMOUNT_EXCEEDS_REFUNDABLE', { amount: '20.01', refundable: '20.00' });
  });

  it('rejects a refund over what was paid', () => {
    given(history.cancelledAfterPayment()).when(refund('refund-1', '30.01')).thenFails('REFUND_AMOUNT_EXCEEDS_REFUNDABLE');
  });

  it.each(['0.00', '-1.00', '1.001'])('rejects the refund amount %s', (amount) => {
    given(history.cancelledAfterPayment()).when(refund('refund-1', amount)).thenFails('MONEY_INVALID');
  });

  it('rejects a refund id it already has', () => {
    const requested = [...history.cancelledAfterPayment(), fact.refundRequested('refund-1', eur('10.00'))];
    given(requested).when(refund('refund-1', '5.00')).thenFails('REFUND_ALREADY_EXISTS', { refundId: 'refund-1' });
  });

  it('completes a requested refund', () => {
    const requested = [...history.cancelledAfterPayment(), fact.refundRequested('refund-1', eur('30.00'))];
    const { events, state } = given(requested).when({ type: 'CompletarReembolso', refundId: 'refund-1' }).result();
    expect(events).toEqual([{ type: 'ReembolsoCompletado', data: { refundId: 'refund-1', amount: eur('30.00'), refundedAt: NOW } }]);
    expect(formatAmount(totalsOf(state).refunded)).toBe('30.00');
    expect(formatAmount(totalsOf(state).refundable)).toBe('0.00');
  });

  it('appends nothing when a refund is completed twice', () => {
    const completed = [
      ...history.cancelledAfterPayment(),
      fact.refundRequested('refund-1', eur('30.00')),
      fact.refundCompleted('refund-1', eur('30.00')),
    ];
    given(completed).when({ type: 'CompletarReembolso', refundId: 'refund-1' }).then([]);
  });

  it('rejects completing a refund it never requested', () => {
    given(history.cancelledAfterPayment()).when({ type: 'CompletarReembolso', refundId: 'nope' }).thenFails('REFUND_NOT_FOUND', { refundId: 'nope' });
  });
});

describe('an order not cancelled', () => {
  it.each([
    ['pending', history.pending],
    ['confirmed', history.confirmed],
    ['delivered', history.delivered],
  ])('rejects a refund while %s', (status, build) => {
    given(build()).when({ type: 'SolicitarReembolso', refundId: 'refund-1', amount: eur('1.00') }).thenFails('REFUND_NOT_ALLOWED', { status });
  });
});

describe('orderNumberFor', () => {
  it('joins the UTC confirmation date and the start of the order id', () => {
    expect(orderNumberFor('1a2b3c4d-5e6f-4a0b-8c0d-0123456789ab', '2026-12-04T10:00:00Z')).toBe('PED-20261204-1A2B3C4D5E6F');
  });

  it('uses the UTC date of a time with an offset', () => {
    expect(orderNumberFor('abcdef01-0000-4000-8000-000000000000', '2026-12-04T23:30:00-02:00')).toBe('PED-20261205-ABCDEF010000');
  });

  it('is deterministic', () => {
    expect(orderNumberFor('x-1', '2026-01-02T00:00:00Z')).toBe(orderNumberFor('x-1', '2026-01-02T00:00:00Z'));
    expect(orderNumberFor('x-1', '2026-01-02T00:00:00Z')).toBe('PED-20260102-X10000000000');
  });
});
