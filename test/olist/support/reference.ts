/**
 * Reference figures computed straight from the Olist CSV files, on a code
 * path of its own: its own CSV reading, cent arithmetic, status table and
 * America/Sao_Paulo clock rules. Nothing here imports the service's code, so
 * a bug in the import or the statistics cannot hide in both places at once.
 */
import fs from 'node:fs';

export type Row = Record<string, string>;

/** Reads a CSV file with a header row (RFC 4180 quoting). */
export function readCsv(file: string): Row[] {
  const records = parseCsvText(fs.readFileSync(file, 'utf8'));
  const [header, ...rows] = records;
  return rows.filter((row) => row.length > 1 || row[0] !== '').map((row) => Object.fromEntries(header.map((name, index) => [name, row[index] ?? ''])));
}

function parseCsvText(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (char === '"') {
        quoted = false;
      } else {
        field += char;
      }
    } else if (char === '"') {
      quoted = true;
    } else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\n') {
      record.push(field.replace(/\r$/, ''));
      records.push(record);
      record = [];
      field = '';
    } else {
      field += char;
    }
  }
  if (field !== '' || record.length > 0) records.push([...record, field]);
  return records;
}

/** "123.4" -> 12340n. */
export function cents(text: string): bigint {
  const [whole, fraction = ''] = text.split('.');
  return BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0'));
}

export function formatCents(value: bigint): string {
  const text = value.toString().padStart(3, '0');
  return `${text.slice(0, -2)}.${text.slice(-2)}`;
}

// Brazilian summer time (UTC-2) in 2015-2019: it began at local midnight of the first date (clocks jumped to 01:00)
// and ended at local midnight of the second (clocks went back to 23:00 of the day before). Otherwise UTC-3.
const saoPauloSummerTime: [string, string][] = [
  ['2015-10-18', '2016-02-21'],
  ['2016-10-16', '2017-02-19'],
  ['2017-10-15', '2018-02-18'],
  ['2018-11-04', '2019-02-17'],
];

const HOUR = 3_600_000;

/**
 * Instant (ms) of a `YYYY-MM-DD HH:MM:SS` Sao Paulo wall time. A repeated hour
 * gives its earlier (summer-time) instant; a skipped hour is read at UTC-3,
 * which moves it one hour forward.
 */
export function saoPauloInstant(text: string): number {
  const wall = Date.parse(`${text.replace(' ', 'T')}Z`);
  const summer = saoPauloSummerTime.some(([start, end]) => wall >= Date.parse(`${start}T01:00:00Z`) && wall < Date.parse(`${end}T00:00:00Z`));
  return wall + (summer ? 2 : 3) * HOUR;
}

const statusTable: Record<string, string> = {
  created: 'pending',
  approved: 'confirmed',
  invoiced: 'preparing',
  processing: 'preparing',
  shipped: 'shipped',
  delivered: 'delivered',
  canceled: 'cancelled',
  unavailable: 'cancelled',
};

export interface ReferenceOrder {
  id: string;
  olistStatus: string;
  status: string;
  /** Local purchase date-time text, for periods read in America/Sao_Paulo. */
  localPurchase: string;
  totalCents: bigint;
  createdMs: number;
  confirmedMs: number | null;
  shippedMs: number | null;
  deliveredMs: number | null;
  /** Confirmed payments (approval confirms them) by method. */
  confirmedPayments: Map<string, bigint>;
  reasons: Set<string>;
}

export interface Dataset {
  orders: Row[];
  items: Row[];
  payments: Row[];
}

function latest(...values: (number | null)[]): number {
  return Math.max(...values.filter((value): value is number => value !== null));
}

/** Builds each order's reference facts with the documented import rules. */
export function referenceOrders(data: Dataset): ReferenceOrder[] {
  const itemsByOrder = groupBy(data.items);
  const paymentsByOrder = groupBy(data.payments);
  return data.orders.map((order) => {
    const items = itemsByOrder.get(order.order_id) ?? [];
    const payments = paymentsByOrder.get(order.order_id) ?? [];
    const olistStatus = order.order_status;
    const cancelled = olistStatus === 'canceled' || olistStatus === 'unavailable';
    const at = (text: string) => (text === '' ? null : saoPauloInstant(text));
    const purchase = at(order.order_purchase_timestamp) as number;
    const approval = at(order.order_approved_at);
    const carrier = at(order.order_delivered_carrier_date);
    const delivery = at(order.order_delivered_customer_date);

    const reachedConfirmation = olistStatus !== 'created' && approval !== null;
    const reachesShipping = cancelled || ['shipped', 'delivered'].includes(olistStatus);
    const reachesDelivery = cancelled || olistStatus === 'delivered';
    let shippedMs = reachesShipping && carrier !== null ? carrier : null;
    if (olistStatus === 'shipped' && carrier === null) shippedMs = latest(purchase, approval);
    let deliveredMs = reachesDelivery && delivery !== null ? delivery : null;
    if (olistStatus === 'delivered' && delivery === null) deliveredMs = latest(purchase, approval, carrier);

    const totalCents = items.reduce((sum, item) => sum + cents(item.price) + cents(item.freight_value), 0n);
    const paidCents = payments.reduce((sum, payment) => sum + cents(payment.payment_value), 0n);
    const confirmedPayments = new Map<string, bigint>();
    if (reachedConfirmation) {
      for (const payment of payments) {
        confirmedPayments.set(payment.payment_type, (confirmedPayments.get(payment.payment_type) ?? 0n) + cents(payment.payment_value));
      }
    }

    const reasons = new Set<string>();
    if (items.length === 0) reasons.add('no_items');
    if (payments.length === 0) reasons.add('no_payments');
    if (payments.length > 0 && paidCents !== totalCents) reasons.add('payments_differ_from_total');
    if (payments.some((payment) => cents(payment.payment_value) === 0n)) reasons.add('zero_value_payment');
    const sequence = payments.map((payment) => Number(payment.payment_sequential)).sort((a, b) => a - b);
    if (sequence.some((value, index) => value !== index + 1)) reasons.add('payment_sequence_gap');
    if (cancelled && carrier !== null) reasons.add('cancelled_after_shipping');
    if (cancelled && delivery !== null) reasons.add('cancelled_after_delivery');
    if (!cancelled && olistStatus !== 'created' && approval === null) reasons.add('missing_approval_time');
    if (olistStatus === 'delivered' && (!reachedConfirmation || paidCents === 0n)) reasons.add('delivered_without_payment');
    const times = [purchase, approval, carrier, delivery].filter((value): value is number => value !== null);
    if (times.some((value, index) => index > 0 && value < times[index - 1])) reasons.add('timestamps_out_of_order');

    let status = statusTable[olistStatus] ?? 'pending';
    if (status === 'pending' && payments.length > 0) status = 'awaiting_payment';
    return {
      id: order.order_id,
      olistStatus,
      status,
      localPurchase: order.order_purchase_timestamp,
      totalCents,
      createdMs: purchase,
      confirmedMs: reachedConfirmation ? approval : null,
      shippedMs,
      deliveredMs,
      confirmedPayments,
      reasons,
    };
  });
}

function groupBy(rows: Row[]): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) groups.set(row.order_id, [...(groups.get(row.order_id) ?? []), row]);
  return groups;
}

export interface ReferenceStage {
  count: number;
  invalid: number;
  p50Hours: number | null;
  p90Hours: number | null;
}

export interface ReferenceStatistics {
  orders: number;
  byStatus: Record<string, number>;
  grossSales: string;
  averageOrderValue: string | null;
  cancellationRate: number | null;
  paymentsByMethod: Record<string, string>;
  series: { period: string; orders: number; grossSales: string }[];
  stageDurations: Record<string, ReferenceStage>;
}

/** Linear interpolation between closest ranks, like PostgreSQL's percentile_cont. */
function percentile(sorted: number[], fraction: number): number | null {
  if (sorted.length === 0) return null;
  const position = fraction * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
}

function stage(pairs: [number, number][]): ReferenceStage {
  const hours = pairs.map(([from, to]) => (to - from) / HOUR);
  const valid = hours.filter((value) => value >= 0).sort((a, b) => a - b);
  return {
    count: hours.length,
    invalid: hours.length - valid.length,
    p50Hours: percentile(valid, 0.5),
    p90Hours: percentile(valid, 0.9),
  };
}

function halfEven(dividend: bigint, divisor: bigint): bigint {
  const quotient = dividend / divisor;
  const remainder = dividend - quotient * divisor;
  if (remainder * 2n > divisor || (remainder * 2n === divisor && quotient % 2n === 1n)) return quotient + 1n;
  return quotient;
}

/**
 * Statistics over the orders purchased in [fromDate, toDate) local Sao Paulo
 * dates, with periods of `periodLength` characters of the local purchase time
 * (7 for months, 10 for days).
 */
export function referenceStatistics(orders: ReferenceOrder[], fromDate: string, toDate: string, periodLength: 7 | 10): ReferenceStatistics {
  const inRange = orders.filter((order) => order.localPurchase >= fromDate && order.localPurchase < toDate);
  const kept = inRange.filter((order) => order.status !== 'cancelled');
  const gross = kept.reduce((sum, order) => sum + order.totalCents, 0n);

  const byStatus: Record<string, number> = {};
  for (const order of inRange) byStatus[order.status] = (byStatus[order.status] ?? 0) + 1;

  const payments = new Map<string, bigint>();
  for (const order of inRange) {
    for (const [method, amount] of order.confirmedPayments) payments.set(method, (payments.get(method) ?? 0n) + amount);
  }

  const series = new Map<string, { orders: number; gross: bigint }>();
  for (const order of inRange) {
    const period = order.localPurchase.slice(0, periodLength);
    const point = series.get(period) ?? { orders: 0, gross: 0n };
    point.orders += 1;
    if (order.status !== 'cancelled') point.gross += order.totalCents;
    series.set(period, point);
  }

  const pairs = (from: (order: ReferenceOrder) => number | null, to: (order: ReferenceOrder) => number | null) =>
    inRange.flatMap((order): [number, number][] => {
      const start = from(order);
      const end = to(order);
      return start !== null && end !== null ? [[start, end]] : [];
    });

  return {
    orders: inRange.length,
    byStatus,
    grossSales: formatCents(gross),
    averageOrderValue: kept.length === 0 ? null : formatCents(halfEven(gross, BigInt(kept.length))),
    cancellationRate: inRange.length === 0 ? null : (inRange.length - kept.length) / inRange.length,
    paymentsByMethod: Object.fromEntries([...payments].map(([method, amount]) => [method, formatCents(amount)])),
    series: [...series]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([period, point]) => ({ period, orders: point.orders, grossSales: formatCents(point.gross) })),
    stageDurations: {
      createdToConfirmed: stage(pairs((order) => order.createdMs, (order) => order.confirmedMs)),
      confirmedToShipped: stage(pairs((order) => order.confirmedMs, (order) => order.shippedMs)),
      shippedToDelivered: stage(pairs((order) => order.shippedMs, (order) => order.deliveredMs)),
      createdToDelivered: stage(pairs((order) => order.createdMs, (order) => order.deliveredMs)),
    },
  };
}

/** Every period label from `fromDate` (inclusive) to `toDate` (exclusive): months (YYYY-MM) or days (YYYY-MM-DD). */
export function periodsBetween(fromDate: string, toDate: string, periodLength: 7 | 10): string[] {
  const periods: string[] = [];
  const cursor = new Date(`${fromDate.slice(0, periodLength === 7 ? 7 : 10)}${periodLength === 7 ? '-01' : ''}T00:00:00Z`);
  const end = Date.parse(`${toDate}T00:00:00Z`);
  while (cursor.getTime() < end) {
    periods.push(cursor.toISOString().slice(0, periodLength));
    if (periodLength === 7) cursor.setUTCMonth(cursor.getUTCMonth() + 1);
    else cursor.setUTCDate(cursor.getUTCDate() + 1);
  }
  return periods;
}
