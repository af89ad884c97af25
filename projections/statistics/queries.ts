import type { SqlExecutor } from '../../src/infrastructure/database';
import { quoteIdentifier } from '../../src/infrastructure/database';
import { digitsOf } from '../../src/pedido';
import type { MoneyData } from '../../src/pedido/events';

export type StatsGrouping = 'day' | 'week' | 'month';

export interface StatsQuery {
  /** Inclusive lower bound: ISO 8601 with an offset, or a local date or date-time read in `timeZone`. */
  from: string;
  /** Exclusive upper bound, same forms as `from`. */
  to: string;
  groupBy: StatsGrouping;
  /** IANA time zone for periods and for bounds without an offset. */
  timeZone: string;
  currency: string;
  /** Schema holding `order_stats`; the connection's search path when absent (the live read model). */
  schema?: string;
}

export interface StageDuration {
  /** Orders that reached both stages, including those with a negative duration. */
  count: number;
  /** Orders whose second stage is dated before the first; left out of the percentiles. */
  invalid: number;
  /** Linear-interpolation percentiles (percentile_cont) in hours, or null when no valid duration exists. */
  p50Hours: number | null;
  p90Hours: number | null;
}

export interface OrderStatistics {
  from: string;
  to: string;
  groupBy: StatsGrouping;
  timeZone: string;
  currency: string;
  orders: number;
  byStatus: Record<string, number>;
  grossSales: MoneyData;
  /** grossSales divided by the orders not cancelled, half-even to the minor unit; null when there are none. */
  averageOrderValue: MoneyData | null;
  /** Cancelled orders divided by orders; null when there are no orders. */
  cancellationRate: number | null;
  paymentsByMethod: Record<string, MoneyData>;
  series: { period: string; orders: number; grossSales: MoneyData }[];
  stageDurations: Record<'createdToConfirmed' | 'confirmedToShipped' | 'shippedToDelivered' | 'createdToDelivered', StageDuration>;
}

const offsetPattern = /(Z|[+-]\d{2}(:?\d{2})?)$/i;

/** Returns whether an ISO 8601 text names an instant (has an offset) rather than a local date or time. */
export function hasOffset(text: string): boolean {
  return /T/i.test(text) && offsetPattern.test(text);
}

/** Formats a count of minor units as a decimal string with the currency's digits. */
export function formatMinor(minor: bigint, currency: string): string {
  const digits = digitsOf(currency);
  const negative = minor < 0n;
  const text = (negative ? -minor : minor).toString().padStart(digits + 1, '0');
  const whole = digits === 0 ? text : text.slice(0, -digits);
  const fraction = digits === 0 ? '' : `.${text.slice(-digits)}`;
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/** Divides and rounds half to even. */
export function divideHalfEven(dividend: bigint, divisor: bigint): bigint {
  const quotient = dividend / divisor;
  const twiceRemainder = (dividend % divisor) * 2n;
  if (twiceRemainder > divisor) return quotient + 1n;
  if (twiceRemainder === divisor && quotient % 2n !== 0n) return quotient + 1n;
  return quotient;
}

// Bounds resolved once: a text with an offset is an instant; otherwise it is wall time in the zone.
const boundsCte = `
bounds AS (
  SELECT CASE WHEN $5::boolean THEN $1::timestamptz ELSE ($1::timestamp AT TIME ZONE $4) END AS from_ts,
         CASE WHEN $6::boolean THEN $2::timestamptz ELSE ($2::timestamp AT TIME ZONE $4) END AS to_ts
),
base AS (
  SELECT s.* FROM %TABLE% s, bounds b
   WHERE s.currency = $3 AND s.created_at >= b.from_ts AND s.created_at < b.to_ts
)`;

const summarySql = `
WITH ${boundsCte}
SELECT count(*) AS orders,
       count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
       count(*) FILTER (WHERE status <> 'cancelled') AS not_cancelled,
       coalesce(sum(total_minor) FILTER (WHERE status <> 'cancelled'), 0) AS gross_minor
  FROM base`;

const byStatusSql = `
WITH ${boundsCte}
SELECT status, count(*) AS orders FROM base GROUP BY status ORDER BY status`;

const paymentsSql = `
WITH ${boundsCte}
SELECT m.key AS method, sum(m.value::bigint) AS minor
  FROM base, jsonb_each_text(base.paid_by_method) AS m
 GROUP BY m.key ORDER BY m.key`;

// Every period that starts before the upper bound is listed, including those without orders.
const seriesSql = `
WITH ${boundsCte},
periods AS (
  SELECT generate_series(
           date_trunc($7, (SELECT from_ts FROM bounds) AT TIME ZONE $4),
           ((SELECT to_ts FROM bounds) AT TIME ZONE $4) - interval '1 microsecond',
           ('1 ' || $7)::interval) AS period_start
),
grouped AS (
  SELECT date_trunc($7, created_at AT TIME ZONE $4) AS period_start,
         count(*) AS orders,
         coalesce(sum(total_minor) FILTER (WHERE status <> 'cancelled'), 0) AS gross_minor
    FROM base GROUP BY 1
)
SELECT CASE $7 WHEN 'day' THEN to_char(p.period_start, 'YYYY-MM-DD')
               WHEN 'week' THEN to_char(p.period_start, 'IYYY-"W"IW')
               ELSE to_char(p.period_start, 'YYYY-MM') END AS period,
       coalesce(g.orders, 0) AS orders,
       coalesce(g.gross_minor, 0) AS gross_minor
  FROM periods p LEFT JOIN grouped g ON g.period_start = p.period_start
 ORDER BY p.period_start`;

const stagesSql = `
WITH ${boundsCte},
durations AS (
  SELECT 'createdToConfirmed' AS stage, extract(epoch FROM confirmed_at - created_at)::float8 / 3600 AS hours
    FROM base WHERE confirmed_at IS NOT NULL
  UNION ALL
  SELECT 'confirmedToShipped', extract(epoch FROM shipped_at - confirmed_at)::float8 / 3600
    FROM base WHERE confirmed_at IS NOT NULL AND shipped_at IS NOT NULL
  UNION ALL
  SELECT 'shippedToDelivered', extract(epoch FROM delivered_at - shipped_at)::float8 / 3600
    FROM base WHERE shipped_at IS NOT NULL AND delivered_at IS NOT NULL
  UNION ALL
  SELECT 'createdToDelivered', extract(epoch FROM delivered_at - created_at)::float8 / 3600
    FROM base WHERE delivered_at IS NOT NULL
)
SELECT stage,
       count(*) AS count,
       count(*) FILTER (WHERE hours < 0) AS invalid,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) FILTER (WHERE hours >= 0) AS p50,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY hours) FILTER (WHERE hours >= 0) AS p90
  FROM durations GROUP BY stage`;

const stageNames = ['createdToConfirmed', 'confirmedToShipped', 'shippedToDelivered', 'createdToDelivered'] as const;

function roundHours(value: number | string | null): number | null {
  if (value === null) return null;
  return Math.round(Number(value) * 10_000) / 10_000;
}

/** Computes ObtenerEstadísticasPedidos over the orders created (business time) in [from, to). */
export async function queryStatistics(db: SqlExecutor, query: StatsQuery): Promise<OrderStatistics> {
  const table = query.schema ? `${quoteIdentifier(query.schema)}.order_stats` : 'order_stats';
  const params = [query.from, query.to, query.currency, query.timeZone, hasOffset(query.from), hasOffset(query.to)];
  const run = <R>(sql: string, extra: unknown[] = []) =>
    db.query<R>(sql.replace('%TABLE%', table), [...params, ...extra]);

  const [summary, byStatus, payments, series, stages] = await Promise.all([
    run<{ orders: string; cancelled: string; not_cancelled: string; gross_minor: string }>(summarySql),
    run<{ status: string; orders: string }>(byStatusSql),
    run<{ method: string; minor: string }>(paymentsSql),
    run<{ period: string; orders: string; gross_minor: string }>(seriesSql, [query.groupBy]),
    run<{ stage: string; count: string; invalid: string; p50: number | null; p90: number | null }>(stagesSql),
  ]);

  const money = (minor: bigint): MoneyData => ({ amount: formatMinor(minor, query.currency), currency: query.currency });
  const totals = summary.rows[0];
  const orders = Number(totals.orders);
  const notCancelled = BigInt(totals.not_cancelled);
  const grossMinor = BigInt(totals.gross_minor);

  const stageDurations = Object.fromEntries(
    stageNames.map((name) => {
      const row = stages.rows.find((candidate) => candidate.stage === name);
      const duration: StageDuration = row
        ? { count: Number(row.count), invalid: Number(row.invalid), p50Hours: roundHours(row.p50), p90Hours: roundHours(row.p90) }
        : { count: 0, invalid: 0, p50Hours: null, p90Hours: null };
      return [name, duration];
    }),
  ) as OrderStatistics['stageDurations'];

  return {
    from: query.from,
    to: query.to,
    groupBy: query.groupBy,
    timeZone: query.timeZone,
    currency: query.currency,
    orders,
    byStatus: Object.fromEntries(byStatus.rows.map((row) => [row.status, Number(row.orders)])),
    grossSales: money(grossMinor),
    averageOrderValue: notCancelled === 0n ? null : money(divideHalfEven(grossMinor, notCancelled)),
    cancellationRate: orders === 0 ? null : Number(totals.cancelled) / orders,
    paymentsByMethod: Object.fromEntries(payments.rows.map((row) => [row.method, money(BigInt(row.minor))])),
    series: series.rows.map((row) => ({ period: row.period, orders: Number(row.orders), grossSales: money(BigInt(row.gross_minor)) })),
    stageDurations,
  };
}
