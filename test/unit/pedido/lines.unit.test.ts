import { foldPedido, totalsOf, formatAmount, type CrearPedido } from '../../../src/pedido';
import { contextAt, eur, fact, given, history, NOW, ORDER_ID } from './given';

function createCommand(overrides: Partial<CrearPedido> = {}): CrearPedido {
  return {
    type: 'CrearPedido',
    orderId: ORDER_ID,
    customerId: 'customer-1',
    currency: 'EUR',
    shippingAddress: { line1: 'Calle Mayor 1', city: 'Madrid', postalCode: '28013', country: 'ES' },
    notes: 'Ring twice',
    items: [],
    shippingTotal: eur('0.00'),
    ...overrides,
  };
}

describe('a new order stream', () => {
  it('creates the order, its lines and its shipping cost', () => {
    given([])
      .when(
        createCommand({
          items: [{ itemId: 'item-1', productId: 'product-1', quantity: 2, unitPrice: eur('10.00') }],
          shippingTotal: eur('4.95'),
        }),
      )
      .then([
        {
          type: 'PedidoCreado',
          data: {
            orderId: ORDER_ID,
            customerId: 'customer-1',
            currency: 'EUR',
            shippingAddress: { line1: 'Calle Mayor 1', city: 'Madrid', postalCode: '28013', country: 'ES' },
            notes: 'Ring twice',
            createdAt: NOW,
          },
        },
        { type: 'ProductoAgregado', data: { itemId: 'item-1', productId: 'product-1', quantity: 2, unitPrice: eur('10.00'), addedAt: NOW } },
        { type: 'CostoEnvioActualizado', data: { shippingTotal: eur('4.95'), updatedAt: NOW } },
      ]);
  });

  it('creates an empty order without a shipping fact when shipping is free', () => {
    const { events, state } = given([]).when(createCommand()).result();
    expect(events.map((event) => event.type)).toEqual(['PedidoCreado']);
    expect(state.status).toBe('pending');
    expect(state.exists).toBe(true);
  });

  it('merges items of the same product at the same price into one line', () => {
    const { state } = given([])
      .when(
        createCommand({
          items: [
            { itemId: 'item-1', productId: 'product-1', quantity: 2, unitPrice: eur('10.00') },
            { itemId: 'item-2', productId: 'product-1', quantity: 3, unitPrice: eur('10.00') },
            { itemId: 'item-3', productId: 'product-1', quantity: 1, unitPrice: eur('9.00') },
          ],
        }),
      )
      .result();
    expect(state.lines.map((line) => [line.itemId, line.quantity])).toEqual([
      ['item-1', 5],
      ['item-3', 1],
    ]);
  });

  it('normalises amounts to the currency digits', () => {
    const { events } = given([])
      .when(createCommand({ currency: 'JPY', items: [{ itemId: 'item-1', productId: 'p', quantity: 1, unitPrice: { amount: '2000', currency: 'JPY' } }], shippingTotal: { amount: '500', currency: 'JPY' } }))
      .result();
    expect(events[1]).toMatchObject({ data: { unitPrice: { amount: '2000', currency: 'JPY' } } });
    expect(events[2]).toMatchObject({ data: { shippingTotal: { amount: '500', currency: 'JPY' } } });
  });

  it('rejects an unknown currency', () => {
    given([]).when(createCommand({ currency: 'XYZ' })).thenFails('MONEY_INVALID', { reason: 'unknown_currency' });
  });

  it('rejects an item priced in another currency', () => {
    given([])
      .when(createCommand({ items: [{ itemId: 'item-1', productId: 'p', quantity: 1, unitPrice: { amount: '1.00', currency: 'USD' } }] }))
      .thenFails('CURRENCY_MISMATCH', { expected: 'EUR', actual: 'USD' });
  });

  it('rejects a shipping cost in another currency', () => {
    given([]).when(createCommand({ shippingTotal: { amount: '1.00', currency: 'USD' } })).thenFails('CURRENCY_MISMATCH');
  });

  it('rejects a price with too many decimals', () => {
    given([])
      .when(createCommand({ items: [{ itemId: 'item-1', productId: 'p', quantity: 1, unitPrice: eur('1.999') }] }))
      .thenFails('MONEY_INVALID', { reason: 'too_many_decimals' });
  });

  it('rejects a negative price', () => {
    given([])
      .when(createCommand({ items: [{ itemId: 'item-1', productId: 'p', quantity: 1, unitPrice: eur('-1.00') }] }))
      .thenFails('MONEY_INVALID', { reason: 'negative' });
  });

  it('rejects merged items whose quantity exceeds the maximum', () => {
    given([])
      .when(
        createCommand({
          items: [
            { itemId: 'item-1', productId: 'p', quantity: 60, unitPrice: eur('1.00') },
            { itemId: 'item-2', productId: 'p', quantity: 41, unitPrice: eur('1.00') },
          ],
        }),
      )
      .thenFails('QUANTITY_INVALID', { quantity: '101', max: 100 });
  });

  it('rejects two lines with one item id', () => {
    given([])
      .when(
        createCommand({
          items: [
            { itemId: 'item-1', productId: 'p', quantity: 1, unitPrice: eur('1.00') },
            { itemId: 'item-1', productId: 'q', quantity: 1, unitPrice: eur('1.00') },
          ],
        }),
      )
      .thenFails('ITEM_ALREADY_EXISTS', { itemId: 'item-1' });
  });
});

describe('an existing order', () => {
  it('cannot be created again', () => {
    given(history.pending()).when(createCommand()).thenFails('ORDER_ALREADY_EXISTS');
  });
});

describe('a missing order', () => {
  it.each([
    { type: 'AgregarProductoAPedido' as const, itemId: 'i', productId: 'p', quantity: 1, unitPrice: eur('1.00') },
    { type: 'CancelarPedido' as const, reason: null },
    { type: 'ProcesarPago' as const, paymentId: 'x', method: 'card', amount: null },
    { type: 'ConfirmarEntrega' as const },
  ])('rejects $type as not found', (command) => {
    given([]).when(command).thenFails('ORDER_NOT_FOUND');
  });
});

describe('a pending order', () => {
  it('adds a new product as a new line', () => {
    given(history.pending())
      .when({ type: 'AgregarProductoAPedido', itemId: 'item-3', productId: 'product-3', quantity: 4, unitPrice: eur('2.50') })
      .then([{ type: 'ProductoAgregado', data: { itemId: 'item-3', productId: 'product-3', quantity: 4, unitPrice: eur('2.50'), addedAt: NOW } }]);
  });

  it('grows the line when the same product is added at the same price', () => {
    given(history.pending())
      .when({ type: 'AgregarProductoAPedido', itemId: 'item-9', productId: 'product-1', quantity: 3, unitPrice: eur('10.0') })
      .then([
        { type: 'CantidadModificada', data: { itemId: 'item-1', productId: 'product-1', previousQuantity: 2, quantity: 5, changedAt: NOW } },
      ]);
  });

  it('adds the same product at a new price as its own line', () => {
    const { state } = given(history.pending())
      .when({ type: 'AgregarProductoAPedido', itemId: 'item-9', productId: 'product-1', quantity: 1, unitPrice: eur('9.50') })
      .result();
    expect(state.lines.filter((line) => line.productId === 'product-1')).toHaveLength(2);
  });

  it('rejects a growth past the maximum quantity', () => {
    given(history.pending())
      .when({ type: 'AgregarProductoAPedido', itemId: 'item-9', productId: 'product-1', quantity: 9, unitPrice: eur('10.00') }, contextAt(NOW, 10))
      .thenFails('QUANTITY_INVALID', { quantity: '11', max: 10 });
  });

  it.each([0, -1, 1.5, 101, Number.NaN, Number.POSITIVE_INFINITY, '2' as unknown as number, null as unknown as number])(
    'rejects the quantity %p',
    (quantity) => {
      given(history.pending())
        .when({ type: 'AgregarProductoAPedido', itemId: 'item-3', productId: 'product-3', quantity, unitPrice: eur('1.00') })
        .thenFails('QUANTITY_INVALID', { max: 100 });
    },
  );

  it('rejects a new line that reuses an item id', () => {
    given(history.pending())
      .when({ type: 'AgregarProductoAPedido', itemId: 'item-1', productId: 'product-7', quantity: 1, unitPrice: eur('1.00') })
      .thenFails('ITEM_ALREADY_EXISTS', { itemId: 'item-1' });
  });

  it('rejects a price in another currency', () => {
    given(history.pending())
      .when({ type: 'AgregarProductoAPedido', itemId: 'item-3', productId: 'p', quantity: 1, unitPrice: { amount: '1', currency: 'JPY' } })
      .thenFails('CURRENCY_MISMATCH', { expected: 'EUR', actual: 'JPY' });
  });

  it('removes a line', () => {
    given(history.pending())
      .when({ type: 'EliminarProductoDePedido', itemId: 'item-2' })
      .then([{ type: 'ProductoEliminado', data: { itemId: 'item-2', productId: 'product-2', removedAt: NOW } }]);
  });

  it('rejects removing a line it does not have', () => {
    given(history.pending()).when({ type: 'EliminarProductoDePedido', itemId: 'item-404' }).thenFails('ITEM_NOT_FOUND', { itemId: 'item-404' });
  });

  it('changes a quantity', () => {
    given(history.pending())
      .when({ type: 'ModificarCantidad', itemId: 'item-2', quantity: 7 })
      .then([{ type: 'CantidadModificada', data: { itemId: 'item-2', productId: 'product-2', previousQuantity: 1, quantity: 7, changedAt: NOW } }]);
  });

  it('appends nothing when the quantity is already the one requested', () => {
    given(history.pending()).when({ type: 'ModificarCantidad', itemId: 'item-2', quantity: 1 }).then([]);
  });

  it.each([0, -3, 2.5, 1000])('rejects changing to the quantity %p', (quantity) => {
    given(history.pending()).when({ type: 'ModificarCantidad', itemId: 'item-2', quantity }).thenFails('QUANTITY_INVALID');
  });

  it('rejects changing the quantity of a line it does not have', () => {
    given(history.pending()).when({ type: 'ModificarCantidad', itemId: 'nope', quantity: 1 }).thenFails('ITEM_NOT_FOUND');
  });

  it('updates the shipping cost', () => {
    given(history.pending())
      .when({ type: 'ActualizarCostoEnvio', shippingTotal: eur('7.5') })
      .then([{ type: 'CostoEnvioActualizado', data: { shippingTotal: eur('7.50'), updatedAt: NOW } }]);
  });

  it('appends nothing when the shipping cost is unchanged', () => {
    given(history.pending()).when({ type: 'ActualizarCostoEnvio', shippingTotal: eur('5.00') }).then([]);
  });

  it('rejects a negative shipping cost', () => {
    given(history.pending()).when({ type: 'ActualizarCostoEnvio', shippingTotal: eur('-1.00') }).thenFails('MONEY_INVALID', { reason: 'negative' });
  });

  it('computes its totals from the lines', () => {
    const totals = totalsOf(foldPedido(history.pending()));
    expect(formatAmount(totals.subtotal)).toBe('25.00');
    expect(formatAmount(totals.total)).toBe('30.00');
    expect(formatAmount(totals.due)).toBe('30.00');
  });
});

describe.each([
  ['awaiting_payment', history.awaitingPayment],
  ['confirmed', history.confirmed],
  ['preparing', history.preparing],
  ['shipped', history.shipped],
  ['delivered', history.delivered],
  ['cancelled', history.cancelledUnpaid],
])('an order %s', (status, build) => {
  it('rejects adding a line', () => {
    given(build())
      .when({ type: 'AgregarProductoAPedido', itemId: 'item-3', productId: 'product-3', quantity: 1, unitPrice: eur('1.00') })
      .thenFails('ORDER_NOT_EDITABLE', { status });
  });

  it('rejects removing a line', () => {
    given(build()).when({ type: 'EliminarProductoDePedido', itemId: 'item-1' }).thenFails('ORDER_NOT_EDITABLE', { status });
  });

  it('rejects changing a quantity', () => {
    given(build()).when({ type: 'ModificarCantidad', itemId: 'item-1', quantity: 3 }).thenFails('ORDER_NOT_EDITABLE', { status });
  });

  it('rejects changing the shipping cost', () => {
    given(build()).when({ type: 'ActualizarCostoEnvio', shippingTotal: eur('1.00') }).thenFails('ORDER_NOT_EDITABLE', { status });
  });
});

describe('a pending order in yen', () => {
  it('keeps whole yen through lines and totals', () => {
    const events = [fact.created('JPY'), fact.added('item-1', 'p', 3, { amount: '333', currency: 'JPY' })];
    const { state } = given(events)
      .when({ type: 'AgregarProductoAPedido', itemId: 'item-2', productId: 'q', quantity: 1, unitPrice: { amount: 1, currency: 'JPY' } as never })
      .result();
    expect(formatAmount(totalsOf(state).subtotal)).toBe('1000');
  });

  it('rejects a fractional yen price', () => {
    given([fact.created('JPY')])
      .when({ type: 'AgregarProductoAPedido', itemId: 'item-1', productId: 'p', quantity: 1, unitPrice: { amount: '1.5', currency: 'JPY' } })
      .thenFails('MONEY_INVALID', { reason: 'too_many_decimals' });
  });
});
