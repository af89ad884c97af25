import {
  evolve,
  foldPedido,
  formatAmount,
  initialPedidoState,
  occurredAtOf,
  pedidoEventTypes,
  totalsOf,
  type PedidoEvent,
} from '../../../src/pedido';
import { EARLIER, eur, fact, given, history } from './given';

const importing = (facts: PedidoEvent[]) => ({ type: 'ImportarPedidoHistorico', facts }) as const;

describe('a new stream receiving imported history', () => {
  it('returns the facts exactly as given', () => {
    const facts = history.delivered();
    given([]).when(importing(facts)).then(facts);
  });

  it('accepts history that breaks live rules', () => {
    const odd = [...history.cancelledAfterPayment(), fact.shipped(), fact.delivered()];
    const { state } = given([]).when(importing(odd)).result();
    expect(state.status).toBe('delivered');
  });

  it('accepts anomalies recorded with the history', () => {
    const flagged: PedidoEvent[] = [
      ...history.shipped(),
      fact.cancelled(eur('30.00')),
      { type: 'AnomaliasRegistradas', data: { reasons: ['cancelled_after_shipping'], source: 'olist', detectedAt: EARLIER } },
    ];
    const { state } = given([]).when(importing(flagged)).result();
    expect(state.anomalies).toEqual(['cancelled_after_shipping']);
    expect(state.status).toBe('cancelled');
  });

  it('rejects an empty list', () => {
    given([]).when(importing([])).thenFails('IMPORT_INVALID', { index: -1, reason: 'empty' });
  });

  it('rejects history that does not start with PedidoCreado', () => {
    given([]).when(importing([fact.shipped()])).thenFails('IMPORT_INVALID', { index: 0, reason: 'first_fact_not_pedido_creado' });
  });

  it('rejects a second PedidoCreado', () => {
    given([]).when(importing([fact.created(), fact.created()])).thenFails('IMPORT_INVALID', { index: 1, reason: 'duplicate_pedido_creado' });
  });

  it('rejects an unknown fact type', () => {
    const unknown = { type: 'PedidoTeletransportado', data: {} } as unknown as PedidoEvent;
    given([]).when(importing([fact.created(), unknown])).thenFails('IMPORT_INVALID', { index: 1, reason: 'unknown_type' });
  });

  it('rejects a fact without data', () => {
    const bare = { type: 'PedidoEntregado' } as unknown as PedidoEvent;
    given([]).when(importing([fact.created(), bare])).thenFails('IMPORT_INVALID', { index: 1, reason: 'malformed' });
  });

  it('rejects a fact with an unreadable time', () => {
    const late: PedidoEvent = { type: 'PedidoEntregado', data: { deliveredAt: 'yesterday' } };
    given([]).when(importing([fact.created(), late])).thenFails('IMPORT_INVALID', { index: 1, reason: 'invalid_time' });
  });

  it('rejects an amount in another currency', () => {
    const mixed = [fact.created(), fact.added('item-1', 'p', 1, { amount: '5.00', currency: 'USD' })];
    given([]).when(importing(mixed)).thenFails('IMPORT_INVALID', { index: 1, reason: 'CURRENCY_MISMATCH' });
  });

  it('rejects an amount with too many decimals', () => {
    const sloppy = [fact.created(), fact.added('item-1', 'p', 1, eur('5.005'))];
    given([]).when(importing(sloppy)).thenFails('IMPORT_INVALID', { index: 1, reason: 'MONEY_INVALID:too_many_decimals' });
  });

  it.each([0, -2, 1.5])('rejects the quantity %p', (quantity) => {
    const odd = [fact.created(), fact.added('item-1', 'p', quantity, eur('1.00'))];
    given([]).when(importing(odd)).thenFails('IMPORT_INVALID', { index: 1, reason: 'invalid_quantity' });
  });

  it('accepts a quantity above the live maximum', () => {
    const bulk = [fact.created(), fact.added('item-1', 'p', 5000, eur('1.00'))];
    expect(given([]).when(importing(bulk)).result().state.lines[0].quantity).toBe(5000);
  });

  it('rejects an unknown currency', () => {
    given([]).when(importing([fact.created('XYZ')])).thenFails('IMPORT_INVALID', { index: 0, reason: 'MONEY_INVALID:unknown_currency' });
  });

  it('rejects a malformed percentage discount', () => {
    const badPercent = [...history.pending(), fact.percentDiscount('X', 'lots')];
    given([]).when(importing(badPercent)).thenFails('IMPORT_INVALID', { index: -1 });
  });
});

describe('an existing stream', () => {
  it('rejects imported history', () => {
    given(history.pending()).when(importing(history.delivered())).thenFails('ORDER_ALREADY_EXISTS');
  });
});

describe('evolve', () => {
  it('ignores facts about lines and payments it does not have', () => {
    const state = foldPedido([
      ...history.pending(),
      { type: 'CantidadModificada', data: { itemId: 'ghost', productId: 'p', previousQuantity: 1, quantity: 9, changedAt: EARLIER } },
      { type: 'ProductoEliminado', data: { itemId: 'ghost', productId: 'p', removedAt: EARLIER } },
      fact.paymentRejected('ghost-payment'),
    ]);
    expect(state.lines.map((line) => line.quantity)).toEqual([2, 1]);
    expect(state.payments).toEqual([]);
    expect(state.status).toBe('pending');
  });

  it('folds a refund completed without its request', () => {
    const state = foldPedido([...history.cancelledAfterPayment(), fact.refundCompleted('refund-1', eur('30.00'))]);
    expect(state.refunds).toEqual([
      { refundId: 'refund-1', status: 'completed', amount: { minor: 3000, currency: 'EUR' }, requestedAt: null, refundedAt: EARLIER },
    ]);
  });

  it('lets a later fact set the status whatever came before', () => {
    expect(foldPedido([...history.delivered(), fact.reserved()]).status).toBe('preparing');
  });

  it('tracks the time of the latest fact', () => {
    const late: PedidoEvent = { type: 'PedidoEntregado', data: { deliveredAt: '2027-01-01T00:00:00.000Z' } };
    expect(evolve(foldPedido(history.shipped()), late).updatedAt).toBe('2027-01-01T00:00:00.000Z');
  });

  it('does not change the state it is given', () => {
    const before = foldPedido(history.pending());
    const copy = JSON.parse(JSON.stringify(before));
    evolve(before, fact.added('item-3', 'p', 1, eur('1.00')));
    expect(JSON.parse(JSON.stringify(before))).toEqual(copy);
    expect(initialPedidoState.exists).toBe(false);
  });

  it('keeps the totals of a delivered order', () => {
    const totals = totalsOf(foldPedido(history.delivered()));
    expect(formatAmount(totals.paid)).toBe('30.00');
    expect(formatAmount(totals.due)).toBe('0.00');
  });
});

describe('occurredAtOf', () => {
  it('reads the time field of every fact type', () => {
    const samples: PedidoEvent[] = [
      fact.created(),
      fact.added('i', 'p', 1, eur('1.00')),
      { type: 'CantidadModificada', data: { itemId: 'i', productId: 'p', previousQuantity: 1, quantity: 2, changedAt: EARLIER } },
      { type: 'ProductoEliminado', data: { itemId: 'i', productId: 'p', removedAt: EARLIER } },
      fact.percentDiscount('X', '5'),
      fact.shipping(eur('1.00')),
      fact.paymentRequested('x', eur('1.00')),
      fact.paymentReceived('x', eur('1.00')),
      fact.paymentRejected('x'),
      fact.confirmed(eur('1.00')),
      fact.reserved(),
      fact.shipped(),
      fact.delivered(),
      fact.cancelled(eur('0.00')),
      fact.refundRequested('r', eur('1.00')),
      fact.refundCompleted('r', eur('1.00')),
      { type: 'AnomaliasRegistradas', data: { reasons: [], source: 'test', detectedAt: EARLIER } },
    ];
    expect(samples.map((event) => event.type).sort()).toEqual([...pedidoEventTypes].sort());
    for (const event of samples) expect(occurredAtOf(event)).toBe(EARLIER);
  });
});
