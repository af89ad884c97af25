import { addMoney, maxMoney, minMoney, moneyOfMinor, multiplyMoney, percentOf, subtractMoney, sumMoney, zeroMoney, type Money } from './money';
import type { PedidoLine, PedidoState } from './state';

/** Money figures of an order, all in its currency. */
export interface OrderTotals {
  /** Sum of the line totals. */
  readonly subtotal: Money;
  /** The discount, never more than the subtotal. */
  readonly discountTotal: Money;
  readonly shippingTotal: Money;
  /** subtotal − discountTotal + shippingTotal; never below zero because the discount is capped. */
  readonly total: Money;
  /** Sum of the confirmed payments. */
  readonly paid: Money;
  /** Sum of the requested payments not yet confirmed or rejected. */
  readonly pendingPayments: Money;
  /** Sum of the completed refunds. */
  readonly refunded: Money;
  /** Sum of the refunds requested and not yet completed. */
  readonly refundsInProgress: Money;
  /** Amount the customer still owes: 0 once cancelled, else max(0, total − (paid − refunded)). */
  readonly due: Money;
  /** Paid and neither refunded nor being refunded. */
  readonly refundable: Money;
}

export function lineTotalOf(line: PedidoLine): Money {
  return multiplyMoney(line.unitPrice, line.quantity);
}

export function subtotalOf(state: PedidoState): Money {
  return sumMoney(state.lines.map(lineTotalOf), state.currency);
}

/**
 * Returns the discount on a subtotal: a percentage rounded once, half-even, to
 * the minor unit, or a fixed amount capped at the subtotal.
 */
export function discountOn(subtotal: Money, discount: PedidoState['discount']): Money {
  if (discount === null) return zeroMoney(subtotal.currency);
  if (discount.percentOff !== null) return minMoney(percentOf(subtotal, discount.percentOff), subtotal);
  if (discount.amountOff !== null) return maxMoney(minMoney(discount.amountOff, subtotal), zeroMoney(subtotal.currency));
  return zeroMoney(subtotal.currency);
}

/** Computes every money figure of an existing order; throws CURRENCY_MISMATCH if its facts mix currencies. */
export function totalsOf(state: PedidoState): OrderTotals {
  const currency = state.currency;
  const zero = zeroMoney(currency);
  const subtotal = subtotalOf(state);
  const discountTotal = discountOn(subtotal, state.discount);
  const shippingTotal = moneyOfMinor(state.shippingMinor, currency);
  const total = addMoney(subtractMoney(subtotal, discountTotal), shippingTotal);

  const amountsOf = <T extends { status: string; amount: Money }>(records: readonly T[], status: T['status']): Money =>
    sumMoney(
      records.filter((record) => record.status === status).map((record) => record.amount),
      currency,
    );
  const paid = amountsOf(state.payments, 'confirmed');
  const pendingPayments = amountsOf(state.payments, 'requested');
  const refunded = amountsOf(state.refunds, 'completed');
  const refundsInProgress = amountsOf(state.refunds, 'requested');

  const netPaid = subtractMoney(paid, refunded);
  const due = state.status === 'cancelled' ? zero : maxMoney(subtractMoney(total, netPaid), zero);
  const refundable = maxMoney(subtractMoney(netPaid, refundsInProgress), zero);
  return { subtotal, discountTotal, shippingTotal, total, paid, pendingPayments, refunded, refundsInProgress, due, refundable };
}
