import fc from 'fast-check';
import {
  checkImportedHistory,
  decide,
  digitsOf,
  DomainError,
  evolve,
  formatAmount,
  initialPedidoState,
  moneyOfMinor,
  parseMoney,
  percentOf,
  sumMoney,
  toMoneyData,
  totalsOf,
  type MoneyData,
  type OrderStatus,
  type PedidoCommand,
  type PedidoEvent,
  type PedidoState,
} from '../../../src/pedido';
import { contextAt, ORDER_ID } from './given';

const currencies = ['EUR', 'JPY', 'KWD', 'USD', 'CLP', 'BHD'] as const;

describe('money properties', () => {
  it('formats and parses back every safe amount', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.constantFrom(...currencies), (minor, currency) => {
        const money = moneyOfMinor(Math.abs(minor), currency);
        expect(parseMoney(formatAmount(money), currency)).toEqual(money);
      }),
    );
  });

  it('reads JSON numbers of up to 15 digits without drift', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_999_999_999 }), fc.constantFrom(...currencies), (minor, currency) => {
        const asNumber = Number(formatAmount(moneyOfMinor(minor, currency)));
        expect(parseMoney(asNumber, currency).minor).toBe(minor);
      }),
    );
  });

  it('sums exactly, whatever the order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10 ** 12 }), { maxLength: 50 }), (minors) => {
        const amounts = minors.map((minor) => moneyOfMinor(minor, 'EUR'));
        const expected = minors.reduce((total, minor) => total + BigInt(minor), 0n);
        expect(BigInt(sumMoney(amounts, 'EUR').minor)).toBe(expected);
        expect(sumMoney([...amounts].reverse(), 'EUR')).toEqual(sumMoney(amounts, 'EUR'));
      }),
    );
  });

  it('rounds a percentage once, half-even, within half a minor unit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 13 }), fc.integer({ min: 0, max: 10_000 }), (minor, hundredths) => {
        const percent = `${Math.floor(hundredths / 100)}.${String(hundredths % 100).padStart(2, '0')}`;
        const result = BigInt(percentOf(moneyOfMinor(minor, 'EUR'), percent).minor);
        // Compare result × 10000 with the exact product: the gap is at most half of 10000.
        const exact = BigInt(minor) * BigInt(hundredths);
        const gap = result * 10_000n - exact;
        const absoluteGap = gap < 0n ? -gap : gap;
        expect(absoluteGap <= 5_000n).toBe(true);
        if (absoluteGap === 5_000n) expect(result % 2n).toBe(0n);
        expect(result >= 0n).toBe(true);
        expect(result <= BigInt(minor)).toBe(true);
      }),
    );
  });

  it('discounts monotonically in the amount', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 9 }), fc.integer({ min: 0, max: 10 ** 6 }), fc.integer({ min: 0, max: 10_000 }), (a, extra, hundredths) => {
        const percent = (hundredths / 100).toFixed(2);
        const smaller = percentOf(moneyOfMinor(a, 'JPY'), percent).minor;
        const larger = percentOf(moneyOfMinor(a + extra, 'JPY'), percent).minor;
        expect(larger).toBeGreaterThanOrEqual(smaller);
      }),
    );
  });
});

// ---------------------------------------------------------------------------
// Random command sequences

const allowedMoves: Record<OrderStatus, OrderStatus[]> = {
  pending: ['awaiting_payment', 'confirmed', 'cancelled'],
  awaiting_payment: ['pending', 'confirmed', 'cancelled'],
  confirmed: ['preparing', 'cancelled'],
  preparing: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  delivered: [],
  cancelled: [],
};

/** Placeholder amount: the harness confirms the requested amount, or what is due for an unknown payment. */
const SETTLE = 'settle';

function settle(command: PedidoCommand, state: PedidoState): PedidoCommand {
  if (command.type !== 'ConfirmarPago' || command.amount.amount !== SETTLE || !state.exists) return command;
  const requested = state.payments.find((payment) => payment.paymentId === command.paymentId);
  const amount = requested ? requested.amount : totalsOf(state).due;
  return { ...command, amount: toMoneyData(amount) };
}

function commandArbitrary(currency: string): fc.Arbitrary<PedidoCommand> {
  const digits = digitsOf(currency);
  const amount = (max: number): fc.Arbitrary<MoneyData> =>
    fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 0, max }).map((minor) => toMoneyData(moneyOfMinor(minor, currency))) },
      { weight: 1, arbitrary: fc.constant({ amount: '1.00', currency: currency === 'USD' ? 'EUR' : 'USD' }) },
      { weight: 1, arbitrary: fc.constantFrom('-1', '1.0001', 'x').map((text) => ({ amount: text, currency })) },
    );
  const itemId = fc.constantFrom('item-1', 'item-2', 'item-3', 'item-4');
  const productId = fc.constantFrom('product-1', 'product-2', 'product-3');
  const quantity = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 12 }) }, { weight: 1, arbitrary: fc.constantFrom(0, -1, 1.5, 1000) });
  const paymentId = fc.constantFrom('payment-1', 'payment-2', 'payment-3');
  const refundId = fc.constantFrom('refund-1', 'refund-2');
  const price = amount(10 ** (digits + 2));

  return fc.oneof(
    fc.record({
      type: fc.constant('CrearPedido' as const),
      orderId: fc.constant(ORDER_ID),
      customerId: fc.constant('customer-1'),
      currency: fc.constant(currency),
      shippingAddress: fc.constant(null),
      notes: fc.constant(null),
      items: fc.array(fc.record({ itemId, productId, quantity, unitPrice: price }), { maxLength: 3 }),
      shippingTotal: amount(10 ** (digits + 1)),
    }),
    fc.record({ type: fc.constant('AgregarProductoAPedido' as const), itemId, productId, quantity, unitPrice: price }),
    fc.record({ type: fc.constant('EliminarProductoDePedido' as const), itemId }),
    fc.record({ type: fc.constant('ModificarCantidad' as const), itemId, quantity }),
    fc.record({
      type: fc.constant('AplicarDescuento' as const),
      promotion: fc.oneof(
        fc.record({
          code: fc.constant('PERCENT'),
          percentOff: fc.constantFrom('0', '12.5', '33.33', '50', '99.99', '100', '150'),
          amountOff: fc.constant(null),
          validFrom: fc.constant(null),
          validTo: fc.constant(null),
          minSubtotal: fc.constant(null),
          redemptionsLeft: fc.constantFrom(null, 0, 5),
        }),
        fc.record({
          code: fc.constant('FIXED'),
          percentOff: fc.constant(null),
          amountOff: amount(10 ** (digits + 3)),
          validFrom: fc.constant(null),
          validTo: fc.constant(null),
          minSubtotal: fc.option(amount(10 ** (digits + 2))),
          redemptionsLeft: fc.constant(null),
        }),
      ),
    }),
    fc.record({ type: fc.constant('ActualizarCostoEnvio' as const), shippingTotal: amount(10 ** (digits + 1)) }),
    fc.record({ type: fc.constant('ProcesarPago' as const), paymentId, method: fc.constant('card'), amount: fc.option(amount(10 ** (digits + 3))) }),
    fc.record({
      type: fc.constant('ConfirmarPago' as const),
      paymentId,
      amount: fc.oneof({ weight: 3, arbitrary: fc.constant({ amount: SETTLE, currency }) }, { weight: 1, arbitrary: amount(10 ** (digits + 3)) }),
      method: fc.constant(null),
    }),
    fc.record({ type: fc.constant('RechazarPago' as const), paymentId, reason: fc.constant('declined') }),
    fc.record({ type: fc.constant('ReservarInventario' as const), reservationId: fc.constant(null) }),
    fc.record({ type: fc.constant('MarcarPedidoComoEnviado' as const), carrier: fc.constant(null), trackingNumber: fc.constant(null) }),
    fc.constant({ type: 'ConfirmarEntrega' as const }),
    fc.record({ type: fc.constant('CancelarPedido' as const), reason: fc.constant(null) }),
    fc.record({ type: fc.constant('SolicitarReembolso' as const), refundId, amount: amount(10 ** (digits + 3)) }),
    fc.record({ type: fc.constant('CompletarReembolso' as const), refundId }),
  );
}

/** A sequence that usually starts by creating the order, then random commands. */
const scenario = fc.constantFrom(...currencies).chain((currency) =>
  fc.record({
    currency: fc.constant(currency),
    commands: fc.array(commandArbitrary(currency), { minLength: 1, maxLength: 40, size: 'max' }),
    startsWithCreate: fc.boolean(),
  }),
);

function checkInvariants(state: PedidoState, maxLineQuantity: number): void {
  if (!state.exists) return;
  const totals = totalsOf(state);
  const figures = [totals.subtotal, totals.discountTotal, totals.shippingTotal, totals.total, totals.paid, totals.due, totals.refunded];
  for (const money of figures) {
    expect(money.currency).toBe(state.currency);
    expect(money.minor).toBeGreaterThanOrEqual(0);
  }
  expect(totals.total.minor).toBe(totals.subtotal.minor - totals.discountTotal.minor + totals.shippingTotal.minor);
  expect(totals.discountTotal.minor).toBeLessThanOrEqual(totals.subtotal.minor);
  expect(totals.paid.minor).toBeLessThanOrEqual(totals.total.minor + totals.refunded.minor);
  expect(totals.refunded.minor + totals.refundsInProgress.minor).toBeLessThanOrEqual(totals.paid.minor);
  for (const line of state.lines) {
    expect(Number.isInteger(line.quantity)).toBe(true);
    expect(line.quantity).toBeGreaterThanOrEqual(1);
    expect(line.quantity).toBeLessThanOrEqual(maxLineQuantity);
  }
  if (state.status === 'confirmed' || state.status === 'preparing') expect(totals.due.minor).toBe(0);
  if (state.orderNumber !== null) expect(state.orderNumber).toMatch(/^PED-\d{8}-[0-9A-Z]{12}$/);
}

describe('random command sequences', () => {
  it('keep every order invariant', () => {
    const reached = new Set<OrderStatus | null>();
    const context = contextAt('2026-12-04T10:00:00.000Z', 20);
    fc.assert(
      fc.property(scenario, ({ currency, commands, startsWithCreate }) => {
        const create: PedidoCommand = {
          type: 'CrearPedido',
          orderId: ORDER_ID,
          customerId: 'customer-1',
          currency,
          shippingAddress: null,
          notes: null,
          items: [],
          shippingTotal: toMoneyData(moneyOfMinor(0, currency)),
        };
        let state = initialPedidoState;
        const stream: PedidoEvent[] = [];
        for (const command of startsWithCreate ? [create, ...commands] : commands) {
          let events;
          try {
            events = decide(settle(command, state), state, context);
          } catch (error) {
            if (!(error instanceof DomainError)) throw error;
            continue;
          }
          const before = state;
          for (const event of events) state = evolve(state, event);
          stream.push(...events);

          if (before.status !== null && state.status !== before.status) {
            expect(allowedMoves[before.status]).toContain(state.status);
          }
          if (before.exists && state.lines !== before.lines) expect(before.status).toBe('pending');
          checkInvariants(state, context.maxLineQuantity);
          reached.add(state.status);
        }
        if (state.status === 'cancelled') expect(decide({ type: 'CancelarPedido', reason: null }, state, context)).toEqual([]);

        // Whatever the live workflow wrote can be imported into a new stream and folds to the same order.
        if (stream.length > 0) {
          expect(decide({ type: 'ImportarPedidoHistorico', facts: stream }, initialPedidoState, context)).toBe(stream);
          expect(checkImportedHistory(stream)).toEqual(state);
        }
      }),
      { numRuns: 1000 },
    );
    // The generator must reach every status, or the invariants above were checked on too little.
    expect([...reached].sort()).toEqual(['awaiting_payment', 'cancelled', 'confirmed', 'delivered', 'pending', 'preparing', 'shipped']);
  });

  it('confirm once the due is paid', () => {
    const context = contextAt();
    fc.assert(
      fc.property(
        fc.constantFrom(...currencies),
        fc.array(fc.integer({ min: 1, max: 10 ** 6 }), { minLength: 1, maxLength: 5 }),
        fc.constantFrom('0', '12.5', '33.33', '100'),
        (currency, prices, percent) => {
          let state = initialPedidoState;
          const run = (command: PedidoCommand) => {
            const events = decide(command, state, context);
            for (const event of events) state = evolve(state, event);
            return events;
          };
          run({
            type: 'CrearPedido',
            orderId: ORDER_ID,
            customerId: 'c',
            currency,
            shippingAddress: null,
            notes: null,
            items: prices.map((minor, index) => ({ itemId: `item-${index}`, productId: `product-${index}`, quantity: 1, unitPrice: toMoneyData(moneyOfMinor(minor, currency)) })),
            shippingTotal: toMoneyData(moneyOfMinor(0, currency)),
          });
          run({ type: 'AplicarDescuento', promotion: { code: 'P', percentOff: percent, amountOff: null, validFrom: null, validTo: null, minSubtotal: null, redemptionsLeft: null } });
          const requested = run({ type: 'ProcesarPago', paymentId: 'payment-1', method: 'card', amount: null });
          if (requested[0]?.type === 'PagoSolicitado') run({ type: 'ConfirmarPago', paymentId: 'payment-1', amount: requested[0].data.amount, method: null });
          expect(state.status).toBe('confirmed');
          expect(totalsOf(state).due.minor).toBe(0);
        },
      ),
    );
  });
});
