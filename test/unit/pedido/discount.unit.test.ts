import { foldPedido, formatAmount, totalsOf, type MoneyData, type PromotionData } from '../../../src/pedido';
import { contextAt, eur, fact, given, history, NOW } from './given';

function promotion(overrides: Partial<PromotionData> = {}): PromotionData {
  return {
    code: 'WINTER',
    percentOff: '10',
    amountOff: null,
    validFrom: null,
    validTo: null,
    minSubtotal: null,
    redemptionsLeft: null,
    ...overrides,
  };
}

function totalsAfter(events: Parameters<typeof given>[0]) {
  const totals = totalsOf(foldPedido(events));
  return {
    subtotal: formatAmount(totals.subtotal),
    discountTotal: formatAmount(totals.discountTotal),
    shippingTotal: formatAmount(totals.shippingTotal),
    total: formatAmount(totals.total),
  };
}

function orderOf(price: MoneyData, quantity = 1) {
  return [fact.created(price.currency), fact.added('item-1', 'product-1', quantity, price)];
}

describe('a pending order without a discount', () => {
  it('applies a percentage code', () => {
    given(history.pending())
      .when({ type: 'AplicarDescuento', promotion: promotion({ percentOff: '12.5' }) })
      .then([{ type: 'DescuentoAplicado', data: { code: 'WINTER', percentOff: '12.5', amountOff: null, appliedAt: NOW } }]);
  });

  it('applies a fixed-amount code with the currency digits', () => {
    given(history.pending())
      .when({ type: 'AplicarDescuento', promotion: promotion({ percentOff: null, amountOff: eur('3.5') }) })
      .then([{ type: 'DescuentoAplicado', data: { code: 'WINTER', percentOff: null, amountOff: eur('3.50'), appliedAt: NOW } }]);
  });

  it('accepts a code inside its validity window', () => {
    const window = promotion({ validFrom: '2026-12-01T00:00:00Z', validTo: '2026-12-31T23:59:59Z' });
    expect(given(history.pending()).when({ type: 'AplicarDescuento', promotion: window }).result().events).toHaveLength(1);
  });

  it('accepts a code on the last instant of its window', () => {
    const window = promotion({ validTo: NOW });
    expect(given(history.pending()).when({ type: 'AplicarDescuento', promotion: window }).result().events).toHaveLength(1);
  });

  it('accepts a subtotal equal to the minimum', () => {
    const minimum = promotion({ minSubtotal: eur('25.00') });
    expect(given(history.pending()).when({ type: 'AplicarDescuento', promotion: minimum }).result().events).toHaveLength(1);
  });

  it.each([
    ['expired', { validTo: '2026-12-04T09:59:59Z' }],
    ['not_yet_valid', { validFrom: '2026-12-04T10:00:01Z' }],
    ['min_subtotal', { minSubtotal: eur('25.01') }],
    ['exhausted', { redemptionsLeft: 0 }],
    ['currency', { minSubtotal: { amount: '1.00', currency: 'USD' } }],
    ['currency', { percentOff: null, amountOff: { amount: '100', currency: 'JPY' } }],
    ['malformed', { percentOff: null, amountOff: null }],
    ['malformed', { percentOff: '5', amountOff: eur('1.00') }],
    ['malformed', { percentOff: '100.5' }],
    ['malformed', { percentOff: '12.345' }],
    ['malformed', { percentOff: null, amountOff: eur('-1.00') }],
    ['malformed', { percentOff: null, amountOff: eur('1.001') }],
    ['malformed', { validTo: 'next tuesday' }],
  ] as const)('rejects the code as %s (%o)', (reason, overrides) => {
    given(history.pending())
      .when({ type: 'AplicarDescuento', promotion: promotion(overrides as Partial<PromotionData>) })
      .thenFails('DISCOUNT_INVALID', { code: 'WINTER', reason });
  });

  it('checks the window against the given clock, not the real one', () => {
    const lastYear = promotion({ validFrom: '2025-01-01T00:00:00Z', validTo: '2025-12-31T00:00:00Z' });
    expect(
      given(history.pending()).when({ type: 'AplicarDescuento', promotion: lastYear }, contextAt('2025-06-01T00:00:00Z')).result().events,
    ).toHaveLength(1);
  });
});

describe('a pending order with a discount', () => {
  const discounted = () => [...history.pending(), fact.percentDiscount('FIRST', '10')];

  it('rejects a second code', () => {
    given(discounted())
      .when({ type: 'AplicarDescuento', promotion: promotion({ code: 'SECOND' }) })
      .thenFails('DISCOUNT_ALREADY_APPLIED', { code: 'SECOND', appliedCode: 'FIRST' });
  });

  it('rejects the same code again', () => {
    given(discounted())
      .when({ type: 'AplicarDescuento', promotion: promotion({ code: 'FIRST' }) })
      .thenFails('DISCOUNT_ALREADY_APPLIED');
  });

  it('follows the subtotal when a line is removed', () => {
    const { state } = given(discounted()).when({ type: 'EliminarProductoDePedido', itemId: 'item-2' }).result();
    expect(formatAmount(totalsOf(state).discountTotal)).toBe('2.00');
  });
});

describe('an order that is not pending', () => {
  it.each([
    ['awaiting_payment', history.awaitingPayment],
    ['confirmed', history.confirmed],
    ['cancelled', history.cancelledUnpaid],
  ])('rejects a code while %s', (status, build) => {
    given(build()).when({ type: 'AplicarDescuento', promotion: promotion() }).thenFails('ORDER_NOT_EDITABLE', { status });
  });
});

describe('discount totals', () => {
  it.each([
    ['33.33% of 0.10 EUR', orderOf(eur('0.10')), '33.33', { subtotal: '0.10', discountTotal: '0.03', shippingTotal: '0.00', total: '0.07' }],
    ['12.5% of 0.99 EUR (half-even down)', orderOf(eur('0.99')), '12.5', { subtotal: '0.99', discountTotal: '0.12', shippingTotal: '0.00', total: '0.87' }],
    ['50% of 0.05 EUR (tie to even)', orderOf(eur('0.05')), '50', { subtotal: '0.05', discountTotal: '0.02', shippingTotal: '0.00', total: '0.03' }],
    ['50% of 0.07 EUR (tie to even, up)', orderOf(eur('0.07')), '50', { subtotal: '0.07', discountTotal: '0.04', shippingTotal: '0.00', total: '0.03' }],
    ['15% of 3 × 6.66 EUR, rounded once on the subtotal', orderOf(eur('6.66'), 3), '15', { subtotal: '19.98', discountTotal: '3.00', shippingTotal: '0.00', total: '16.98' }],
    ['33.33% of 999 JPY', orderOf({ amount: '999', currency: 'JPY' }), '33.33', { subtotal: '999', discountTotal: '333', shippingTotal: '0', total: '666' }],
    ['12.5% of 1.001 KWD', orderOf({ amount: '1.001', currency: 'KWD' }), '12.5', { subtotal: '1.001', discountTotal: '0.125', shippingTotal: '0.000', total: '0.876' }],
    ['100% of 34.90 EUR', orderOf(eur('34.90')), '100', { subtotal: '34.90', discountTotal: '34.90', shippingTotal: '0.00', total: '0.00' }],
  ])('takes %s', (_name, events, percent, expected) => {
    expect(totalsAfter([...events, fact.percentDiscount('CODE', percent)])).toEqual(expected);
  });

  it('caps a fixed amount at the subtotal', () => {
    const events = [...orderOf(eur('4.00')), fact.shipping(eur('3.00')), fact.amountDiscount('BIG', eur('10.00'))];
    expect(totalsAfter(events)).toEqual({ subtotal: '4.00', discountTotal: '4.00', shippingTotal: '3.00', total: '3.00' });
  });

  it('never discounts shipping', () => {
    const events = [...orderOf(eur('10.00')), fact.shipping(eur('5.00')), fact.percentDiscount('ALL', '100')];
    expect(totalsAfter(events).total).toBe('5.00');
  });
});

describe('a context without a valid clock', () => {
  it('fails loudly instead of skipping the window', () => {
    const window = promotion({ validTo: '2020-01-01T00:00:00Z' });
    expect(() => given(history.pending()).when({ type: 'AplicarDescuento', promotion: window }, contextAt('not a time')).result()).toThrow(
      'DecideContext.now must be an ISO 8601 time',
    );
  });
});
