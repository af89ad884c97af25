import type { AddressData, MoneyData, OrderStatus } from './events';
import { toMoneyData } from './money';
import type { PaymentStatus, PedidoState } from './state';
import { lineTotalOf, totalsOf } from './totals';

export interface OrderItemView {
  itemId: string;
  productId: string;
  quantity: number;
  unitPrice: MoneyData;
  lineTotal: MoneyData;
}

export interface DiscountView {
  code: string;
  percentOff: string | null;
  amountOff: MoneyData | null;
  appliedAt: string;
}

/** The order as the REST API returns it. */
export interface OrderView {
  id: string;
  orderNumber: string | null;
  customerId: string;
  status: OrderStatus;
  currency: string;
  items: OrderItemView[];
  discount: DiscountView | null;
  subtotal: MoneyData;
  discountTotal: MoneyData;
  shippingTotal: MoneyData;
  total: MoneyData;
  paid: MoneyData;
  due: MoneyData;
  refunded: MoneyData;
  shippingAddress: AddressData | null;
  notes: string | null;
  carrier: string | null;
  trackingNumber: string | null;
  createdAt: string;
  updatedAt: string;
  confirmedAt: string | null;
  shippedAt: string | null;
  deliveredAt: string | null;
  cancelledAt: string | null;
  cancellationReason: string | null;
  anomalies: string[];
  revision: number;
}

/** Builds the REST order of an existing order; `revision` is that of the stream's last event. */
export function toOrderView(state: PedidoState, revision: number): OrderView {
  if (!state.exists || state.status === null) throw new Error('toOrderView needs an existing order');
  const totals = totalsOf(state);
  return {
    id: state.orderId,
    orderNumber: state.orderNumber,
    customerId: state.customerId,
    status: state.status,
    currency: state.currency,
    items: state.lines.map((line) => ({
      itemId: line.itemId,
      productId: line.productId,
      quantity: line.quantity,
      unitPrice: toMoneyData(line.unitPrice),
      lineTotal: toMoneyData(lineTotalOf(line)),
    })),
    discount:
      state.discount === null
        ? null
        : {
            code: state.discount.code,
            percentOff: state.discount.percentOff,
            amountOff: state.discount.amountOff === null ? null : toMoneyData(state.discount.amountOff),
            appliedAt: state.discount.appliedAt,
          },
    subtotal: toMoneyData(totals.subtotal),
    discountTotal: toMoneyData(totals.discountTotal),
    shippingTotal: toMoneyData(totals.shippingTotal),
    total: toMoneyData(totals.total),
    paid: toMoneyData(totals.paid),
    due: toMoneyData(totals.due),
    refunded: toMoneyData(totals.refunded),
    shippingAddress: state.shippingAddress,
    notes: state.notes,
    carrier: state.carrier,
    trackingNumber: state.trackingNumber,
    createdAt: state.createdAt ?? '',
    updatedAt: state.updatedAt ?? state.createdAt ?? '',
    confirmedAt: state.confirmedAt,
    shippedAt: state.shippedAt,
    deliveredAt: state.deliveredAt,
    cancelledAt: state.cancelledAt,
    cancellationReason: state.cancellationReason,
    anomalies: [...state.anomalies],
    revision,
  };
}

export interface PaymentView {
  paymentId: string;
  status: PaymentStatus;
  amount: MoneyData;
  method: string;
  /** Null for a payment PaymentSvc confirmed without a request seen on this order. */
  requestedAt: string | null;
  confirmedAt?: string;
  rejectedAt?: string;
  reason?: string;
}

/** Lists the order's payments, oldest first. */
export function paymentsOf(state: PedidoState): PaymentView[] {
  return state.payments.map((payment) => {
    const view: PaymentView = {
      paymentId: payment.paymentId,
      status: payment.status,
      amount: toMoneyData(payment.amount),
      method: payment.method,
      requestedAt: payment.requestedAt,
    };
    if (payment.confirmedAt !== null) view.confirmedAt = payment.confirmedAt;
    if (payment.rejectedAt !== null) view.rejectedAt = payment.rejectedAt;
    if (payment.reason !== null) view.reason = payment.reason;
    return view;
  });
}

export type OrderPaymentStatus = 'unpaid' | 'pending' | 'partially_paid' | 'paid' | 'refunded';

export interface PaymentStatusView {
  status: OrderPaymentStatus;
  total: MoneyData;
  paid: MoneyData;
  due: MoneyData;
}

/**
 * Sums up the order's payments. The status is `refunded` once completed
 * refunds cover what was paid and `paid` when the total is covered. Otherwise
 * it is `partially_paid` when some money came in, `pending` when only
 * requests are outstanding, and `unpaid` when nothing is.
 */
export function paymentStatusOf(state: PedidoState): PaymentStatusView {
  const totals = totalsOf(state);
  const summary = { total: toMoneyData(totals.total), paid: toMoneyData(totals.paid), due: toMoneyData(totals.due) };
  return { status: paymentStatusFrom(totals, state.confirmedAt !== null), ...summary };
}

/** Classifies the payments; a confirmed order with a zero total counts as paid although no money moved. */
function paymentStatusFrom(totals: ReturnType<typeof totalsOf>, confirmed: boolean): OrderPaymentStatus {
  const netPaid = totals.paid.minor - totals.refunded.minor;
  if (totals.refunded.minor > 0 && totals.refunded.minor >= totals.paid.minor) return 'refunded';
  if ((totals.paid.minor > 0 || confirmed) && netPaid >= totals.total.minor) return 'paid';
  if (totals.paid.minor > 0) return 'partially_paid';
  if (totals.pendingPayments.minor > 0) return 'pending';
  return 'unpaid';
}
