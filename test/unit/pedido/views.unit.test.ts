import { foldPedido, paymentsOf, paymentStatusOf, toOrderView } from '../../../src/pedido';
import { EARLIER, eur, fact, history, ORDER_ID } from './given';

describe('toOrderView', () => {
  it('shows a pending order as the REST API returns it', () => {
    const view = toOrderView(foldPedido([...history.pending(), fact.percentDiscount('TEN', '10')]), 4);
    expect(view).toMatchObject({
      id: ORDER_ID,
      orderNumber: null,
      customerId: 'customer-1',
      status: 'pending',
      currency: 'EUR',
      items: [
        { itemId: 'item-1', productId: 'product-1', quantity: 2, unitPrice: eur('10.00'), lineTotal: eur('20.00') },
        { itemId: 'item-2', productId: 'product-2', quantity: 1, unitPrice: eur('5.00'), lineTotal: eur('5.00') },
      ],
      discount: { code: 'TEN', percentOff: '10', amountOff: null, appliedAt: EARLIER },
      subtotal: eur('25.00'),
      discountTotal: eur('2.50'),
      shippingTotal: eur('5.00'),
      total: eur('27.50'),
      paid: eur('0.00'),
      due: eur('27.50'),
      createdAt: EARLIER,
      updatedAt: EARLIER,
      revision: 4,
    });
  });

  it('shows the order number and times of a delivered order', () => {
    const view = toOrderView(foldPedido(history.delivered()), 9);
    expect(view).toMatchObject({
      status: 'delivered',
      orderNumber: 'PED-20261201-1A2B3C4D5E6F',
      paid: eur('30.00'),
      due: eur('0.00'),
      confirmedAt: EARLIER,
      shippedAt: EARLIER,
      deliveredAt: EARLIER,
      carrier: 'Correos',
    });
  });

  it('rejects a state that is not an order', () => {
    expect(() => toOrderView(foldPedido([]), -1)).toThrow('existing order');
  });
});

describe('paymentsOf', () => {
  it('lists payments oldest first with their outcome', () => {
    const state = foldPedido([
      ...history.pending(),
      fact.paymentRequested('payment-1', eur('30.00')),
      fact.paymentRejected('payment-1', 'card_declined'),
      fact.paymentRequested('payment-2', eur('30.00'), 'transfer'),
      fact.paymentReceived('payment-2', eur('30.00'), 'transfer'),
    ]);
    expect(paymentsOf(state)).toEqual([
      { paymentId: 'payment-1', status: 'rejected', amount: eur('30.00'), method: 'card', requestedAt: EARLIER, rejectedAt: EARLIER, reason: 'card_declined' },
      { paymentId: 'payment-2', status: 'confirmed', amount: eur('30.00'), method: 'transfer', requestedAt: EARLIER, confirmedAt: EARLIER },
    ]);
  });
});

describe('paymentStatusOf', () => {
  it.each([
    ['unpaid', history.pending(), '0.00', '30.00'],
    ['pending', history.awaitingPayment(), '0.00', '30.00'],
    ['partially_paid', [...history.pending(), fact.paymentReceived('x', eur('10.00'))], '10.00', '20.00'],
    ['paid', history.confirmed(), '30.00', '0.00'],
    ['paid', [fact.created(), fact.added('i', 'p', 1, eur('5.00')), fact.percentDiscount('FREE', '100'), fact.confirmed(eur('0.00'))], '0.00', '0.00'],
    ['refunded', [...history.cancelledAfterPayment(), fact.refundCompleted('r', eur('30.00'))], '30.00', '0.00'],
  ] as const)('reports %s', (status, events, paid, due) => {
    expect(paymentStatusOf(foldPedido(events))).toEqual({ status, total: expect.any(Object), paid: eur(paid), due: eur(due) });
  });
});
