import { DomainError } from './errors';
import { pedidoEventTypes, type MoneyData, type PedidoEvent } from './events';
import { fromMoneyData, isSupportedCurrency } from './money';
import { evolve, initialPedidoState, occurredAtOf, type PedidoState } from './state';
import { totalsOf } from './totals';

/** Lists the money a fact carries, so an import can check every amount against the order's currency. */
function moneyOf(event: PedidoEvent): MoneyData[] {
  switch (event.type) {
    case 'ProductoAgregado':
      return [event.data.unitPrice];
    case 'DescuentoAplicado':
      return event.data.amountOff === null ? [] : [event.data.amountOff];
    case 'CostoEnvioActualizado':
      return [event.data.shippingTotal];
    case 'PagoSolicitado':
    case 'PagoRecibido':
    case 'ReembolsoSolicitado':
    case 'ReembolsoCompletado':
      return [event.data.amount];
    case 'PedidoConfirmado':
      return [event.data.total];
    case 'PedidoCancelado':
      return [event.data.refundDue];
    default:
      return [];
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof DomainError) {
    const detail = error.params.reason;
    return typeof detail === 'string' ? `${error.code}:${detail}` : error.code;
  }
  return 'malformed';
}

function checkFact(event: PedidoEvent, index: number, state: PedidoState): void {
  const invalid = (reason: string) => new DomainError('IMPORT_INVALID', { index, reason });
  if (typeof event !== 'object' || event === null || typeof event.data !== 'object' || event.data === null) throw invalid('malformed');
  if (!pedidoEventTypes.includes(event.type)) throw invalid('unknown_type');
  if (index === 0 && event.type !== 'PedidoCreado') throw invalid('first_fact_not_pedido_creado');
  if (index > 0 && event.type === 'PedidoCreado') throw invalid('duplicate_pedido_creado');

  const time = occurredAtOf(event);
  if (typeof time !== 'string' || Number.isNaN(Date.parse(time))) throw invalid('invalid_time');

  if (event.type === 'ProductoAgregado' || event.type === 'CantidadModificada') {
    const quantity = event.data.quantity;
    if (!Number.isSafeInteger(quantity) || quantity < 1) throw invalid('invalid_quantity');
  }

  const currency = index === 0 && event.type === 'PedidoCreado' ? event.data.currency : state.currency;
  if (!isSupportedCurrency(currency)) throw invalid('MONEY_INVALID:unknown_currency');
  for (const money of moneyOf(event)) {
    try {
      fromMoneyData(money, currency, { allowNegative: false });
    } catch (error) {
      throw invalid(reasonOf(error));
    }
  }
}

/**
 * Checks that imported facts form a foldable stream:
 * - the first fact is the only PedidoCreado, and every type is known;
 * - every time parses;
 * - every quantity is a positive integer, with no upper limit because older
 *   rules may have allowed more;
 * - every amount is valid money in the order's currency;
 * - the folded order's totals compute.
 * Workflow rules are not checked (history may break them). Throws
 * DomainError IMPORT_INVALID with the index of the first bad fact.
 */
export function checkImportedHistory(facts: readonly PedidoEvent[]): PedidoState {
  if (!Array.isArray(facts) || facts.length === 0) throw new DomainError('IMPORT_INVALID', { index: -1, reason: 'empty' });

  let state = initialPedidoState;
  facts.forEach((event, index) => {
    checkFact(event, index, state);
    try {
      state = evolve(state, event);
    } catch (error) {
      throw new DomainError('IMPORT_INVALID', { index, reason: reasonOf(error) });
    }
  });

  try {
    totalsOf(state);
  } catch (error) {
    throw new DomainError('IMPORT_INVALID', { index: -1, reason: reasonOf(error) });
  }
  return state;
}
