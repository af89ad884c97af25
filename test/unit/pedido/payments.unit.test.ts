import { foldPedido, formatAmount, totalsOf } from '../../../src/pedido';
import { eur, fact, given, history, NOW } from './given';

const pay = (paymentId: string, amount: ReturnType<typeof eur> | null = null, method = 'card') =>
  ({ type: 'ProcesarPago', paymentId, method, amount }) as const;
const confirm = (paymentId: string, amount: ReturnType<typeof eur>, method: string | null = null) =>
  ({ type: 'ConfirmarPago', paymentId, amount, method }) as const;

describe('a pending order', () => {
  it('requests a payment of what is due', () => {
    given(history.pending())
      .when(pay('payment-1'))
      .then([{ type: 'PagoSolicitado', data: { paymentId: 'payment-1', method: 'card', amount: eur('30.00'), requestedAt: NOW } }]);
  });

  it('moves to awaiting_payment once a payment is requested', () => {
    expect(given(history.pending()).when(pay('payment-1')).result().state.status).toBe('awaiting_payment');
  });

  it('requests a partial payment', () => {
    given(history.pending())
      .when(pay('payment-1', eur('10')))
      .then([{ type: 'PagoSolicitado', data: { paymentId: 'payment-1', method: 'card', amount: eur('10.00'), requestedAt: NOW } }]);
  });

  it('rejects an amount over what is due', () => {
    given(history.pending()).when(pay('payment-1', eur('30.01'))).thenFails('PAYMENT_AMOUNT_EXCEEDS_DUE', { amount: '30.01', due: '30.00', currency: 'EUR' });
  });

  it('rejects an amount in another currency', () => {
    given(history.pending()).when(pay('payment-1', { amount: '30.00', currency: 'USD' })).thenFails('CURRENCY_MISMATCH', { expected: 'EUR', actual: 'USD' });
  });

  it('rejects an amount with too many decimals', () => {
    given(history.pending()).when(pay('payment-1', eur('10.005'))).thenFails('MONEY_INVALID', { reason: 'too_many_decimals' });
  });

  it.each(['0.00', '-5.00'])('rejects the amount %s', (amount) => {
    given(history.pending()).when(pay('payment-1', eur(amount))).thenFails('MONEY_INVALID');
  });

  it('pays the discounted total', () => {
    const { events } = given([...history.pending(), fact.percentDiscount('TEN', '10')]).when(pay('payment-1')).result();
    expect(events[0]).toMatchObject({ data: { amount: eur('27.50') } });
  });

  it('is confirmed at once when its total is zero', () => {
    const free = [fact.created(), fact.added('item-1', 'p', 1, eur('9.99')), fact.percentDiscount('FREE', '100')];
    given(free)
      .when(pay('payment-1'))
      .then([{ type: 'PedidoConfirmado', data: { orderNumber: 'PED-20261204-1A2B3C4D5E6F', total: eur('0.00'), confirmedAt: NOW } }]);
  });

  it('requests whole yen and three-decimal dinars', () => {
    const yen = [fact.created('JPY'), fact.added('item-1', 'p', 3, { amount: '1999', currency: 'JPY' })];
    expect(given(yen).when(pay('payment-1')).result().events[0]).toMatchObject({ data: { amount: { amount: '5997', currency: 'JPY' } } });
    const dinars = [fact.created('KWD'), fact.added('item-1', 'p', 2, { amount: '0.125', currency: 'KWD' })];
    expect(given(dinars).when(pay('payment-1')).result().events[0]).toMatchObject({ data: { amount: { amount: '0.250', currency: 'KWD' } } });
  });
});

describe('an empty pending order', () => {
  it('cannot be paid', () => {
    given(history.empty()).when(pay('payment-1')).thenFails('ORDER_EMPTY');
  });
});

describe('an order awaiting payment', () => {
  it('receives the payment and is confirmed with its order number', () => {
    given(history.awaitingPayment())
      .when(confirm('payment-1', eur('30.00')))
      .then([
        { type: 'PagoRecibido', data: { paymentId: 'payment-1', method: 'card', amount: eur('30.00'), receivedAt: NOW } },
        { type: 'PedidoConfirmado', data: { orderNumber: 'PED-20261204-1A2B3C4D5E6F', total: eur('30.00'), confirmedAt: NOW } },
      ]);
  });

  it('appends nothing when the same payment is confirmed twice', () => {
    given(history.confirmed()).when(confirm('payment-1', eur('30.00'))).then([]);
  });

  it('rejects a confirmation whose amount differs from the request', () => {
    given(history.awaitingPayment())
      .when(confirm('payment-1', eur('29.99')))
      .thenFails('PAYMENT_AMOUNT_MISMATCH', { paymentId: 'payment-1', expected: '30.00', actual: '29.99' });
  });

  it('rejects a confirmation in another currency', () => {
    given(history.awaitingPayment()).when(confirm('payment-1', { amount: '30.00', currency: 'USD' })).thenFails('CURRENCY_MISMATCH');
  });

  it('takes the method from the confirmation when given', () => {
    const { events } = given(history.awaitingPayment()).when(confirm('payment-1', eur('30.00'), 'bizum')).result();
    expect(events[0]).toMatchObject({ data: { method: 'bizum' } });
  });

  it('rejects a second request that would exceed the total', () => {
    given(history.awaitingPayment()).when(pay('payment-2')).thenFails('PAYMENT_ALREADY_PENDING', { pending: '30.00' });
  });

  it('rejects lines, discount and shipping changes', () => {
    given(history.awaitingPayment())
      .when({ type: 'EliminarProductoDePedido', itemId: 'item-1' })
      .thenFails('ORDER_NOT_EDITABLE', { status: 'awaiting_payment' });
  });

  it('rejects a payment id it already has', () => {
    given(history.awaitingPayment()).when(pay('payment-1', eur('1.00'))).thenFails('PAYMENT_ALREADY_EXISTS', { paymentId: 'payment-1' });
  });
});

describe('an order paid in two parts', () => {
  const twoRequests = () => [
    ...history.pending(),
    fact.paymentRequested('payment-1', eur('10.00')),
    fact.paymentRequested('payment-2', eur('20.00'), 'transfer'),
  ];

  it('stays awaiting payment after the first part', () => {
    const { events, state } = given(twoRequests()).when(confirm('payment-1', eur('10.00'))).result();
    expect(events.map((event) => event.type)).toEqual(['PagoRecibido']);
    expect(state.status).toBe('awaiting_payment');
    expect(formatAmount(totalsOf(state).due)).toBe('20.00');
  });

  it('is confirmed by the last part', () => {
    const afterFirst = [...twoRequests(), fact.paymentReceived('payment-1', eur('10.00'))];
    const { events, state } = given(afterFirst).when(confirm('payment-2', eur('20.00'))).result();
    expect(events.map((event) => event.type)).toEqual(['PagoRecibido', 'PedidoConfirmado']);
    expect(state.status).toBe('confirmed');
    expect(events[0]).toMatchObject({ data: { method: 'transfer' } });
  });

  it('rejects a third request while both parts are pending', () => {
    given(twoRequests()).when(pay('payment-3')).thenFails('PAYMENT_ALREADY_PENDING');
  });

  it('requests the rest after one part was requested', () => {
    const partial = [...history.pending(), fact.paymentRequested('payment-1', eur('10.00'))];
    const { events } = given(partial).when(pay('payment-2')).result();
    expect(events[0]).toMatchObject({ data: { amount: eur('20.00') } });
  });

  it('rejects a request over what remains payable', () => {
    const partial = [...history.pending(), fact.paymentRequested('payment-1', eur('10.00'))];
    given(partial).when(pay('payment-2', eur('20.01'))).thenFails('PAYMENT_AMOUNT_EXCEEDS_DUE', { due: '20.00' });
  });
});

describe('a payment PaymentSvc confirms without a request on this order', () => {
  it('confirms a pending order when covering it', () => {
    const { events, state } = given(history.pending()).when(confirm('external-1', eur('30.00'), 'card')).result();
    expect(events.map((event) => event.type)).toEqual(['PagoRecibido', 'PedidoConfirmado']);
    expect(state.payments[0]).toMatchObject({ paymentId: 'external-1', status: 'confirmed', requestedAt: null });
  });

  it('freezes the lines when it covers only part of the total', () => {
    const { state } = given(history.pending()).when(confirm('external-1', eur('5.00'))).result();
    expect(state.status).toBe('awaiting_payment');
    expect(state.payments[0].method).toBe('unknown');
  });

  it('is rejected when it exceeds what is due', () => {
    given(history.pending()).when(confirm('external-1', eur('30.01'))).thenFails('PAYMENT_AMOUNT_EXCEEDS_DUE');
  });

  it('may not take what a pending request covers', () => {
    const waiting = [...history.pending(), fact.paymentRequested('payment-1', eur('20.00'))];
    given(waiting).when(confirm('external-1', eur('10.01'))).thenFails('PAYMENT_AMOUNT_EXCEEDS_DUE', { due: '10.00' });
  });

  it('takes what the pending requests leave due', () => {
    const waiting = [...history.pending(), fact.paymentRequested('payment-1', eur('20.00'))];
    const { state } = given(waiting).when(confirm('external-1', eur('10.00'))).result();
    expect(state.payments.map((payment) => payment.status)).toEqual(['requested', 'confirmed']);
  });

  it('is rejected once the order is confirmed', () => {
    given(history.confirmed()).when(confirm('external-1', eur('1.00'))).thenFails('PAYMENT_NOT_ALLOWED', { status: 'confirmed' });
  });

  it('is rejected once the order is cancelled', () => {
    given(history.cancelledUnpaid()).when(confirm('external-1', eur('1.00'))).thenFails('PAYMENT_NOT_ALLOWED', { status: 'cancelled' });
  });
});

describe('a payment rejected by PaymentSvc', () => {
  it('sends the order back to pending when nothing else is pending', () => {
    const { events, state } = given(history.awaitingPayment()).when({ type: 'RechazarPago', paymentId: 'payment-1', reason: 'card_declined' }).result();
    expect(events).toEqual([{ type: 'PagoRechazado', data: { paymentId: 'payment-1', reason: 'card_declined', rejectedAt: NOW } }]);
    expect(state.status).toBe('pending');
  });

  it('keeps the order awaiting payment while another payment is pending', () => {
    const two = [...history.pending(), fact.paymentRequested('payment-1', eur('10.00')), fact.paymentRequested('payment-2', eur('20.00'))];
    const { state } = given(two).when({ type: 'RechazarPago', paymentId: 'payment-1', reason: 'x' }).result();
    expect(state.status).toBe('awaiting_payment');
  });

  it('keeps the order awaiting payment once some money was received', () => {
    const partlyPaid = [
      ...history.pending(),
      fact.paymentRequested('payment-1', eur('10.00')),
      fact.paymentReceived('payment-1', eur('10.00')),
      fact.paymentRequested('payment-2', eur('20.00')),
    ];
    const { state } = given(partlyPaid).when({ type: 'RechazarPago', paymentId: 'payment-2', reason: 'x' }).result();
    expect(state.status).toBe('awaiting_payment');
  });

  it('appends nothing when rejected twice', () => {
    given([...history.awaitingPayment(), fact.paymentRejected('payment-1')]).when({ type: 'RechazarPago', paymentId: 'payment-1', reason: 'x' }).then([]);
  });

  it('cannot be confirmed afterwards', () => {
    given([...history.awaitingPayment(), fact.paymentRejected('payment-1')])
      .when(confirm('payment-1', eur('30.00')))
      .thenFails('PAYMENT_ALREADY_REJECTED', { paymentId: 'payment-1' });
  });

  it('can be followed by a new request', () => {
    const { events } = given([...history.awaitingPayment(), fact.paymentRejected('payment-1')]).when(pay('payment-2')).result();
    expect(events[0]).toMatchObject({ type: 'PagoSolicitado', data: { amount: eur('30.00') } });
  });

  it('cannot reject a confirmed payment', () => {
    given(history.confirmed()).when({ type: 'RechazarPago', paymentId: 'payment-1', reason: 'x' }).thenFails('PAYMENT_ALREADY_CONFIRMED');
  });

  it('cannot reject a payment it never saw', () => {
    given(history.awaitingPayment()).when({ type: 'RechazarPago', paymentId: 'nope', reason: 'x' }).thenFails('PAYMENT_NOT_FOUND', { paymentId: 'nope' });
  });
});

describe('an order with nothing left to pay', () => {
  it('rejects a payment request', () => {
    // Imported history may hold a full payment without its confirmation.
    const paidNotConfirmed = [...history.awaitingPayment(), fact.paymentReceived('payment-1', eur('30.00'))];
    given(paidNotConfirmed).when(pay('payment-2')).thenFails('NOTHING_DUE', { total: '30.00', paid: '30.00' });
  });
});

describe.each([
  ['confirmed', history.confirmed],
  ['preparing', history.preparing],
  ['shipped', history.shipped],
  ['delivered', history.delivered],
  ['cancelled', history.cancelledUnpaid],
])('an order %s', (status, build) => {
  it('rejects a payment request', () => {
    given(build()).when(pay('payment-9')).thenFails('PAYMENT_NOT_ALLOWED', { status });
  });
});

describe('a cancelled order with a payment still requested', () => {
  it('records the late confirmation so that it can be refunded', () => {
    const cancelled = [...history.awaitingPayment(), fact.cancelled(eur('0.00'))];
    const { events, state } = given(cancelled).when(confirm('payment-1', eur('30.00'))).result();
    expect(events.map((event) => event.type)).toEqual(['PagoRecibido']);
    expect(state.status).toBe('cancelled');
    expect(formatAmount(totalsOf(state).refundable)).toBe('30.00');
    expect(formatAmount(totalsOf(foldPedido(cancelled)).due)).toBe('0.00');
  });
});
