import type { MoneyData, OrderStatus, PedidoEvent } from '../../pedido/events';
import { formatCentavos, parseCentavos } from './amounts';
import type { AnomalyReason } from './anomalies';
import { olistIds } from './ids';
import type { OlistItemRow, OlistOrderRow, OlistPaymentRow } from './rows';
import { localTimestampToIso } from './time-zone';

export const OLIST_CURRENCY = 'BRL';

/** Olist statuses and the order status each one maps to. */
export const olistStatusMap: Readonly<Record<string, OrderStatus>> = {
  created: 'pending',
  approved: 'confirmed',
  invoiced: 'preparing',
  processing: 'preparing',
  shipped: 'shipped',
  delivered: 'delivered',
  canceled: 'cancelled',
  unavailable: 'cancelled',
};

export interface MappingOptions {
  /** IANA zone in which the dataset's zone-less timestamps are read. */
  timeZone: string;
  /** When the import runs (ISO 8601): the `detectedAt` of the anomaly fact. */
  detectedAt: string;
  /** Customer id of the service for the dataset's `customer_id` (by default derived from it). */
  customerIdOf?: (olistCustomerId: string) => string;
}

export interface MappedOrder {
  olistOrderId: string;
  orderId: string;
  /** The status the order must have once its facts are applied. */
  status: OrderStatus;
  /** Items plus freight, in centavos. */
  totalCents: number;
  facts: PedidoEvent[];
  anomalies: AnomalyReason[];
}

/** An order row that cannot become an order at all (no id, or no time of any kind). */
export class UnmappableOrderError extends Error {
  constructor(
    readonly olistOrderId: string,
    readonly reason: 'missing_order_id' | 'no_timestamps',
  ) {
    super(`Olist order ${JSON.stringify(olistOrderId)} cannot be imported: ${reason}`);
    this.name = 'UnmappableOrderError';
  }
}

interface OrderTimes {
  purchase?: string;
  approval?: string;
  carrier?: string;
  delivery?: string;
}

interface Line {
  itemId: string;
  productId: string;
  quantity: number;
  unitPriceCents: number;
}

interface Payment {
  paymentId: string;
  sequential: number;
  method: string;
  amountCents: number;
}

const stageRank: Record<OrderStatus, number> = {
  pending: 0,
  awaiting_payment: 0,
  confirmed: 1,
  preparing: 2,
  shipped: 3,
  delivered: 4,
  cancelled: -1,
};

/**
 * Turns one Olist order with its item and payment rows into the facts of a
 * Pedido stream, in workflow order, each with its time from the data, plus the
 * reasons the order is flagged. Pure: the same rows and options always give
 * the same facts.
 */
export function mapOlistOrder(
  order: OlistOrderRow,
  items: readonly OlistItemRow[],
  payments: readonly OlistPaymentRow[],
  options: MappingOptions,
): MappedOrder {
  const olistOrderId = order.order_id.trim();
  if (!olistOrderId) throw new UnmappableOrderError(order.order_id, 'missing_order_id');
  const anomalies = new Set<AnomalyReason>();

  // 1. Status, times, lines and payments as the data gives them.
  const status = olistStatusMap[order.order_status.trim()] ?? 'pending';
  if (!(order.order_status.trim() in olistStatusMap)) anomalies.add('unknown_status');
  const times = readTimes(order, options.timeZone, anomalies);
  const createdAt = creationTime(olistOrderId, times, anomalies);
  const lines = mergeLines(olistOrderId, items, anomalies);
  const freightCents = sumFreight(items, anomalies);
  const orderPayments = readPayments(olistOrderId, payments, anomalies);
  const subtotalCents = lines.reduce((sum, line) => sum + line.unitPriceCents * line.quantity, 0);
  const totalCents = subtotalCents + freightCents;

  // 2. Facts in workflow order.
  const facts: PedidoEvent[] = [];
  facts.push({
    type: 'PedidoCreado',
    data: {
      orderId: olistIds.order(olistOrderId),
      customerId: (options.customerIdOf ?? olistIds.customer)(order.customer_id.trim()),
      currency: OLIST_CURRENCY,
      shippingAddress: null,
      notes: null,
      createdAt,
    },
  });
  for (const line of lines) {
    facts.push({
      type: 'ProductoAgregado',
      data: {
        itemId: line.itemId,
        productId: line.productId,
        quantity: line.quantity,
        unitPrice: money(line.unitPriceCents),
        addedAt: createdAt,
      },
    });
  }
  if (items.length > 0) {
    facts.push({ type: 'CostoEnvioActualizado', data: { shippingTotal: money(freightCents), updatedAt: createdAt } });
  }
  for (const payment of orderPayments) {
    facts.push({
      type: 'PagoSolicitado',
      data: { paymentId: payment.paymentId, method: payment.method, amount: money(payment.amountCents), requestedAt: createdAt },
    });
  }

  const unavailable = order.order_status.trim() === 'unavailable';
  const workflow = { olistOrderId, status, unavailable, times, createdAt, orderPayments, totalCents };
  const receivedCents = appendWorkflowFacts(facts, workflow, anomalies);

  // 3. Where the data breaks today's rules.
  detectPaymentAnomalies(orderPayments, totalCents, items.length, anomalies);
  if (status === 'delivered' && receivedCents === 0) anomalies.add('delivered_without_payment');
  if (timesOutOfOrder(times)) anomalies.add('timestamps_out_of_order');
  if (statusBehindDates(status, times)) anomalies.add('status_behind_dates');

  const reasons = [...anomalies].sort();
  if (reasons.length > 0) {
    facts.push({
      type: 'AnomaliasRegistradas',
      data: { reasons, source: `olist:${olistOrderId}`, detectedAt: options.detectedAt },
    });
  }
  // A requested payment moves a pending order to awaiting_payment, so an Olist `created` order with payments ends there.
  const finalStatus = status === 'pending' && orderPayments.length > 0 ? 'awaiting_payment' : status;
  return { olistOrderId, orderId: olistIds.order(olistOrderId), status: finalStatus, totalCents, facts, anomalies: reasons };
}

interface WorkflowInput {
  olistOrderId: string;
  status: OrderStatus;
  /** Olist's `unavailable`: cancelled because the seller could not deliver. */
  unavailable: boolean;
  times: OrderTimes;
  createdAt: string;
  orderPayments: Payment[];
  totalCents: number;
}

/**
 * Appends confirmation, preparation, shipping, delivery and cancellation
 * facts. A stage the status implies but whose time is missing is left out,
 * except the stage the status names, which takes the latest earlier time
 * known. Returns the centavos received.
 */
function appendWorkflowFacts(facts: PedidoEvent[], input: WorkflowInput, anomalies: Set<AnomalyReason>): number {
  const { status, times } = input;
  const cancelled = status === 'cancelled';
  const rank = stageRank[status];
  const reaches = (stage: OrderStatus) => cancelled || rank >= stageRank[stage];
  let receivedCents = 0;

  // Approval: every payment received, then the order confirmed.
  if (reaches('confirmed') && times.approval) {
    for (const payment of input.orderPayments) {
      facts.push({
        type: 'PagoRecibido',
        data: { paymentId: payment.paymentId, method: payment.method, amount: money(payment.amountCents), receivedAt: times.approval },
      });
      receivedCents += payment.amountCents;
    }
    facts.push({
      type: 'PedidoConfirmado',
      data: { orderNumber: input.olistOrderId, total: money(input.totalCents), confirmedAt: times.approval },
    });
  } else if (!cancelled && rank >= stageRank.confirmed) {
    anomalies.add('missing_approval_time');
  }

  if (status === 'preparing') {
    const reservedAt = times.approval ?? input.createdAt;
    facts.push({ type: 'InventarioReservado', data: { reservationId: null, reservedAt } });
  }

  // Handed to the carrier.
  if (reaches('shipped') && times.carrier) {
    facts.push({ type: 'PedidoEnviado', data: { carrier: null, trackingNumber: null, shippedAt: times.carrier } });
    if (cancelled) anomalies.add('cancelled_after_shipping');
  } else if (status === 'shipped') {
    anomalies.add('shipped_without_carrier_date');
    facts.push({ type: 'PedidoEnviado', data: { carrier: null, trackingNumber: null, shippedAt: latestOf(input.createdAt, times.approval) } });
  } else if (status === 'delivered') {
    anomalies.add('shipped_without_carrier_date');
  }

  // Delivered to the customer.
  if (reaches('delivered') && times.delivery) {
    facts.push({ type: 'PedidoEntregado', data: { deliveredAt: times.delivery } });
    if (cancelled) anomalies.add('cancelled_after_delivery');
  } else if (status === 'delivered') {
    anomalies.add('delivered_without_delivery_date');
    facts.push({ type: 'PedidoEntregado', data: { deliveredAt: latestOf(input.createdAt, times.approval, times.carrier) } });
  }

  // Cancelled: the dataset has no cancellation time, so it is the latest time the order shows. It
  // records no refunds either, and an import must not make anyone move money for old orders, so no
  // refund is due.
  if (cancelled) {
    facts.push({
      type: 'PedidoCancelado',
      data: {
        reason: input.unavailable ? 'unavailable' : null,
        cancelledAt: latestOf(input.createdAt, times.approval, times.carrier, times.delivery),
        refundDue: money(0),
      },
    });
  }
  return receivedCents;
}

function readTimes(order: OlistOrderRow, zone: string, anomalies: Set<AnomalyReason>): OrderTimes {
  const read = (text: string | undefined): string | undefined => {
    if (text === undefined || text.trim() === '') return undefined;
    const iso = localTimestampToIso(text, zone);
    if (iso === undefined) anomalies.add('invalid_timestamp');
    return iso;
  };
  return {
    purchase: read(order.order_purchase_timestamp),
    approval: read(order.order_approved_at),
    carrier: read(order.order_delivered_carrier_date),
    delivery: read(order.order_delivered_customer_date),
  };
}

function creationTime(olistOrderId: string, times: OrderTimes, anomalies: Set<AnomalyReason>): string {
  if (times.purchase) return times.purchase;
  anomalies.add('missing_purchase_time');
  const known = [times.approval, times.carrier, times.delivery].filter((time): time is string => time !== undefined).sort();
  if (known.length === 0) throw new UnmappableOrderError(olistOrderId, 'no_timestamps');
  return known[0];
}

/** One line per product and unit price, in the order of their first item row; the quantity counts the rows. */
function mergeLines(olistOrderId: string, items: readonly OlistItemRow[], anomalies: Set<AnomalyReason>): Line[] {
  const sorted = [...items].sort((a, b) => Number(a.order_item_id) - Number(b.order_item_id));
  const lines = new Map<string, Line>();
  for (const item of sorted) {
    const unitPriceCents = centavosOrZero(item.price, anomalies);
    const productId = item.product_id.trim();
    const key = `${productId}:${unitPriceCents}`;
    const line = lines.get(key);
    if (line) {
      line.quantity += 1;
    } else {
      lines.set(key, {
        itemId: olistIds.line(olistOrderId, productId, formatCentavos(unitPriceCents)),
        productId,
        quantity: 1,
        unitPriceCents,
      });
    }
  }
  return [...lines.values()];
}

function sumFreight(items: readonly OlistItemRow[], anomalies: Set<AnomalyReason>): number {
  return items.reduce((sum, item) => sum + centavosOrZero(item.freight_value, anomalies), 0);
}

function readPayments(olistOrderId: string, rows: readonly OlistPaymentRow[], anomalies: Set<AnomalyReason>): Payment[] {
  return [...rows]
    .map((row) => ({
      paymentId: olistIds.payment(olistOrderId, row.payment_sequential.trim()),
      sequential: Number(row.payment_sequential),
      method: row.payment_type.trim() || 'not_defined',
      amountCents: centavosOrZero(row.payment_value, anomalies),
    }))
    .sort((a, b) => a.sequential - b.sequential);
}

function detectPaymentAnomalies(
  payments: readonly Payment[],
  totalCents: number,
  itemCount: number,
  anomalies: Set<AnomalyReason>,
): void {
  if (itemCount === 0) anomalies.add('no_items');
  if (payments.length === 0) {
    anomalies.add('no_payments');
    return;
  }
  if (payments.some((payment) => payment.amountCents === 0)) anomalies.add('zero_value_payment');
  if (payments.some((payment, index) => payment.sequential !== index + 1)) anomalies.add('payment_sequence_gap');
  const paidCents = payments.reduce((sum, payment) => sum + payment.amountCents, 0);
  if (paidCents !== totalCents) anomalies.add('payments_differ_from_total');
}

/** Whether the times that are present break purchase ≤ approval ≤ carrier ≤ delivery. */
function timesOutOfOrder(times: OrderTimes): boolean {
  const present = [times.purchase, times.approval, times.carrier, times.delivery].filter((time): time is string => time !== undefined);
  return present.some((time, index) => index > 0 && Date.parse(time) < Date.parse(present[index - 1]));
}

/** Whether the order has times of stages beyond the one its status names (cancelled and delivered orders never do). */
function statusBehindDates(status: OrderStatus, times: OrderTimes): boolean {
  switch (status) {
    case 'pending':
    case 'awaiting_payment':
      return Boolean(times.approval || times.carrier || times.delivery);
    case 'confirmed':
    case 'preparing':
      return Boolean(times.carrier || times.delivery);
    case 'shipped':
      return Boolean(times.delivery);
    case 'delivered':
    case 'cancelled':
      return false;
  }
}

function centavosOrZero(text: string, anomalies: Set<AnomalyReason>): number {
  const cents = parseCentavos(text);
  if (cents === undefined) {
    anomalies.add('invalid_amount');
    return 0;
  }
  return cents;
}

function latestOf(...times: (string | undefined)[]): string {
  const known = times.filter((time): time is string => time !== undefined);
  return known.reduce((latest, time) => (Date.parse(time) > Date.parse(latest) ? time : latest));
}

function money(cents: number): MoneyData {
  return { amount: formatCentavos(cents), currency: OLIST_CURRENCY };
}
