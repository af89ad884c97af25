import { mapOlistOrder } from '../../src/import/olist/mapping';
import { olistIds, uuidV5 } from '../../src/import/olist/ids';
import type { OlistItemRow, OlistOrderRow, OlistPaymentRow } from '../../src/import/olist/rows';
import type { PedidoEvent } from '../../src/pedido/events';
import { checkImportedHistory } from '../../src/pedido/import';

const options = { timeZone: 'America/Sao_Paulo', detectedAt: '2026-01-01T00:00:00.000Z' };

function order(overrides: Partial<OlistOrderRow> = {}): OlistOrderRow {
  return {
    order_id: 'o1',
    customer_id: 'c1',
    order_status: 'delivered',
    order_purchase_timestamp: '2018-06-01 10:00:00',
    order_approved_at: '2018-06-01 11:00:00',
    order_delivered_carrier_date: '2018-06-03 09:00:00',
    order_delivered_customer_date: '2018-06-08 15:30:00',
    ...overrides,
  };
}

function item(itemId: number, productId: string, price: string, freight: string): OlistItemRow {
  return { order_id: 'o1', order_item_id: String(itemId), product_id: productId, price, freight_value: freight };
}

function payment(sequential: number, type: string, value: string): OlistPaymentRow {
  return { order_id: 'o1', payment_sequential: String(sequential), payment_type: type, payment_value: value };
}

const types = (facts: PedidoEvent[]) => facts.map((fact) => fact.type);
const factOf = <T extends PedidoEvent['type']>(facts: PedidoEvent[], type: T) =>
  facts.find((fact) => fact.type === type) as Extract<PedidoEvent, { type: T }> | undefined;

describe('mapOlistOrder on a delivered order', () => {
  const items = [item(1, 'p1', '10.00', '2.50'), item(2, 'p1', '10.00', '2.50'), item(3, 'p2', '5.90', '1.00')];
  const payments = [payment(1, 'credit_card', '20.00'), payment(2, 'voucher', '11.90')];
  const mapped = mapOlistOrder(order(), items, payments, options);

  it('replays the workflow in order', () => {
    expect(types(mapped.facts)).toEqual([
      'PedidoCreado',
      'ProductoAgregado',
      'ProductoAgregado',
      'CostoEnvioActualizado',
      'PagoSolicitado',
      'PagoSolicitado',
      'PagoRecibido',
      'PagoRecibido',
      'PedidoConfirmado',
      'PedidoEnviado',
      'PedidoEntregado',
    ]);
  });

  it('merges repeated item rows into one line', () => {
    const lines = mapped.facts.filter((fact) => fact.type === 'ProductoAgregado');
    expect(lines.map((line) => line.data)).toEqual([
      expect.objectContaining({ productId: 'p1', quantity: 2, unitPrice: { amount: '10.00', currency: 'BRL' } }),
      expect.objectContaining({ productId: 'p2', quantity: 1, unitPrice: { amount: '5.90', currency: 'BRL' } }),
    ]);
  });

  it('sums freight into the shipping total', () => {
    expect(factOf(mapped.facts, 'CostoEnvioActualizado')?.data.shippingTotal).toEqual({ amount: '6.00', currency: 'BRL' });
    expect(mapped.totalCents).toBe(3190);
  });

  it('takes business times from the data in the zone', () => {
    expect(factOf(mapped.facts, 'PedidoCreado')?.data.createdAt).toBe('2018-06-01T13:00:00.000Z');
    expect(factOf(mapped.facts, 'PedidoConfirmado')?.data.confirmedAt).toBe('2018-06-01T14:00:00.000Z');
    expect(factOf(mapped.facts, 'PedidoEnviado')?.data.shippedAt).toBe('2018-06-03T12:00:00.000Z');
    expect(factOf(mapped.facts, 'PedidoEntregado')?.data.deliveredAt).toBe('2018-06-08T18:30:00.000Z');
  });

  it('records payments with method and amount', () => {
    const received = mapped.facts.filter((fact) => fact.type === 'PagoRecibido');
    expect(received.map((fact) => [fact.data.method, fact.data.amount.amount, fact.data.receivedAt])).toEqual([
      ['credit_card', '20.00', '2018-06-01T14:00:00.000Z'],
      ['voucher', '11.90', '2018-06-01T14:00:00.000Z'],
    ]);
  });

  it('derives ids from the dataset ids', () => {
    expect(mapped.orderId).toBe(olistIds.order('o1'));
    expect(factOf(mapped.facts, 'PedidoCreado')?.data.orderId).toBe(mapped.orderId);
    expect(mapOlistOrder(order(), items, payments, options).facts).toEqual(mapped.facts);
  });

  it('has no anomalies', () => {
    expect(mapped.anomalies).toEqual([]);
    expect(mapped.status).toBe('delivered');
  });
});

describe('mapOlistOrder statuses', () => {
  const items = [item(1, 'p1', '10.00', '0.00')];
  const payments = [payment(1, 'boleto', '10.00')];
  const noLaterDates = { order_delivered_carrier_date: '', order_delivered_customer_date: '' };

  it.each([
    ['created', 'awaiting_payment', { order_approved_at: '', ...noLaterDates }, ['PedidoCreado', 'ProductoAgregado', 'CostoEnvioActualizado', 'PagoSolicitado']],
    ['approved', 'confirmed', noLaterDates, ['PagoRecibido', 'PedidoConfirmado']],
    ['invoiced', 'preparing', noLaterDates, ['PedidoConfirmado', 'InventarioReservado']],
    ['processing', 'preparing', noLaterDates, ['PedidoConfirmado', 'InventarioReservado']],
    ['shipped', 'shipped', { order_delivered_customer_date: '' }, ['PedidoConfirmado', 'PedidoEnviado']],
    ['delivered', 'delivered', {}, ['PedidoEnviado', 'PedidoEntregado']],
  ] as const)('maps %s to %s', (olistStatus, status, overrides, expectedTail) => {
    const mapped = mapOlistOrder(order({ order_status: olistStatus, ...overrides }), items, payments, options);
    expect(mapped.status).toBe(status);
    expect(types(mapped.facts).slice(-expectedTail.length)).toEqual(expectedTail);
    expect(mapped.anomalies).toEqual([]);
  });

  it('cancels a canceled order without a reason', () => {
    const mapped = mapOlistOrder(order({ order_status: 'canceled', ...noLaterDates }), items, payments, options);
    const cancelled = factOf(mapped.facts, 'PedidoCancelado');
    expect(mapped.status).toBe('cancelled');
    expect(cancelled?.data.reason).toBeNull();
    expect(cancelled?.data.cancelledAt).toBe('2018-06-01T14:00:00.000Z');
    expect(cancelled?.data.refundDue).toEqual({ amount: '0.00', currency: 'BRL' });
    expect(types(mapped.facts)).toContain('PagoRecibido');
  });

  it('cancels an unavailable order with reason unavailable', () => {
    const mapped = mapOlistOrder(order({ order_status: 'unavailable', ...noLaterDates }), [], payments, options);
    expect(factOf(mapped.facts, 'PedidoCancelado')?.data.reason).toBe('unavailable');
    expect(mapped.anomalies).toEqual(['no_items', 'payments_differ_from_total']);
  });

  it('keeps a created order without payments pending', () => {
    const mapped = mapOlistOrder(order({ order_status: 'created', order_approved_at: '', ...noLaterDates }), items, [], options);
    expect(mapped.status).toBe('pending');
    expect(mapped.anomalies).toEqual(['no_payments']);
  });

  it('imports an unknown status as pending and flags it', () => {
    const mapped = mapOlistOrder(order({ order_status: 'lost', order_approved_at: '', ...noLaterDates }), items, [], options);
    expect(mapped.status).toBe('pending');
    expect(mapped.anomalies).toContain('unknown_status');
  });
});

describe('mapOlistOrder anomalies', () => {
  const items = [item(1, 'p1', '10.00', '0.00')];
  const payments = [payment(1, 'boleto', '10.00')];

  it('flags a cancellation after shipping and keeps the shipment', () => {
    const mapped = mapOlistOrder(order({ order_status: 'canceled', order_delivered_customer_date: '' }), items, payments, options);
    expect(types(mapped.facts)).toContain('PedidoEnviado');
    expect(types(mapped.facts).slice(-2)).toEqual(['PedidoCancelado', 'AnomaliasRegistradas']);
    expect(mapped.anomalies).toEqual(['cancelled_after_shipping']);
    expect(factOf(mapped.facts, 'PedidoCancelado')?.data.cancelledAt).toBe('2018-06-03T12:00:00.000Z');
  });

  it('flags a cancellation after delivery', () => {
    const mapped = mapOlistOrder(order({ order_status: 'canceled' }), items, payments, options);
    expect(mapped.anomalies).toEqual(['cancelled_after_delivery', 'cancelled_after_shipping']);
  });

  it('flags timestamps out of order and keeps them', () => {
    const mapped = mapOlistOrder(order({ order_delivered_carrier_date: '2018-05-30 09:00:00' }), items, payments, options);
    expect(mapped.anomalies).toEqual(['timestamps_out_of_order']);
    expect(factOf(mapped.facts, 'PedidoEnviado')?.data.shippedAt).toBe('2018-05-30T12:00:00.000Z');
  });

  it('flags payments that differ from the total', () => {
    const mapped = mapOlistOrder(order(), items, [payment(1, 'credit_card', '10.50')], options);
    expect(mapped.anomalies).toEqual(['payments_differ_from_total']);
  });

  it('flags a delivered order without payments', () => {
    const mapped = mapOlistOrder(order(), items, [], options);
    expect(mapped.anomalies).toEqual(['delivered_without_payment', 'no_payments']);
    expect(types(mapped.facts)).toContain('PedidoConfirmado');
  });

  it('flags a delivered order without approval', () => {
    const mapped = mapOlistOrder(order({ order_approved_at: '' }), items, payments, options);
    expect(mapped.anomalies).toEqual(['delivered_without_payment', 'missing_approval_time']);
    expect(types(mapped.facts)).not.toContain('PagoRecibido');
    expect(types(mapped.facts)).not.toContain('PedidoConfirmado');
  });

  it('delivers an order without delivery date at its last known time', () => {
    const mapped = mapOlistOrder(order({ order_delivered_customer_date: '' }), items, payments, options);
    expect(mapped.anomalies).toEqual(['delivered_without_delivery_date']);
    expect(factOf(mapped.facts, 'PedidoEntregado')?.data.deliveredAt).toBe('2018-06-03T12:00:00.000Z');
  });

  it('flags a delivered order without carrier date and skips shipping', () => {
    const mapped = mapOlistOrder(order({ order_delivered_carrier_date: '' }), items, payments, options);
    expect(mapped.anomalies).toEqual(['shipped_without_carrier_date']);
    expect(types(mapped.facts)).not.toContain('PedidoEnviado');
  });

  it('flags dates beyond the status and does not replay them', () => {
    const mapped = mapOlistOrder(order({ order_status: 'invoiced' }), items, payments, options);
    expect(mapped.anomalies).toEqual(['status_behind_dates']);
    expect(types(mapped.facts)).not.toContain('PedidoEnviado');
  });

  it('flags zero payments and sequence gaps', () => {
    const mapped = mapOlistOrder(
      order(),
      items,
      [payment(1, 'voucher', '0.00'), payment(3, 'credit_card', '10.00')],
      options,
    );
    expect(mapped.anomalies).toEqual(['payment_sequence_gap', 'zero_value_payment']);
  });

  it('flags invalid amounts and timestamps', () => {
    const mapped = mapOlistOrder(order({ order_approved_at: 'soon' }), [item(1, 'p1', '1,50', '0.00')], payments, options);
    expect(mapped.anomalies).toEqual(expect.arrayContaining(['invalid_amount', 'invalid_timestamp', 'missing_approval_time']));
  });

  it('uses the earliest time when the purchase time is missing', () => {
    const mapped = mapOlistOrder(order({ order_purchase_timestamp: '' }), items, payments, options);
    expect(mapped.anomalies).toEqual(['missing_purchase_time']);
    expect(factOf(mapped.facts, 'PedidoCreado')?.data.createdAt).toBe('2018-06-01T14:00:00.000Z');
  });

  it('records the reasons in the anomaly fact', () => {
    const mapped = mapOlistOrder(order({ order_status: 'canceled' }), [], payments, options);
    expect(factOf(mapped.facts, 'AnomaliasRegistradas')?.data).toEqual({
      reasons: mapped.anomalies,
      source: 'olist:o1',
      detectedAt: options.detectedAt,
    });
  });
});

describe('uuidV5', () => {
  it('matches the RFC 9562 example', () => {
    // RFC 9562 appendix A.4: the DNS namespace and "www.example.com".
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });
});

describe('mapOlistOrder facts fold', () => {
  it('folds to the mapped status for every case', () => {
    const items = [item(1, 'p1', '10.00', '0.00')];
    const payments = [payment(1, 'boleto', '10.00')];
    const cases: Partial<OlistOrderRow>[] = [
      { order_status: 'created', order_approved_at: '', order_delivered_carrier_date: '', order_delivered_customer_date: '' },
      { order_status: 'approved', order_delivered_carrier_date: '', order_delivered_customer_date: '' },
      { order_status: 'invoiced', order_delivered_carrier_date: '' },
      { order_status: 'shipped', order_delivered_carrier_date: '' },
      { order_status: 'delivered', order_approved_at: '', order_delivered_customer_date: '' },
      { order_status: 'canceled' },
      { order_status: 'unavailable', order_approved_at: '' },
    ];
    for (const overrides of cases) {
      const mapped = mapOlistOrder(order(overrides), items, payments, options);
      const state = checkImportedHistory(mapped.facts);
      expect({ case: overrides.order_status, status: state.status }).toEqual({ case: overrides.order_status, status: mapped.status });
      expect(state.anomalies).toEqual(mapped.anomalies);
    }
  });
});
