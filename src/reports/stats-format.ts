import type { MoneyData } from '../pedido/events';
import type { OrderStatistics, StageDuration } from '../../projections/statistics/queries';
import type { Lang } from '../import/olist/cli-args';
import type { StatsFormat } from './stats-args';

type StageName = keyof OrderStatistics['stageDurations'];

const stageNames: readonly StageName[] = ['createdToConfirmed', 'confirmedToShipped', 'shippedToDelivered', 'createdToDelivered'];

/** Texts for people; the JSON and CSV output keep the API's English field names. */
export const statsTexts = {
  es: {
    title: 'Estadísticas de pedidos',
    range: 'Intervalo',
    zone: 'zona',
    grouping: { day: 'por día', week: 'por semana', month: 'por mes' },
    currency: 'moneda',
    orders: 'Pedidos',
    grossSales: 'Ventas brutas',
    averageOrderValue: 'Valor medio del pedido',
    cancellationRate: 'Tasa de cancelación',
    byStatus: 'Pedidos por estado',
    status: 'estado',
    paymentsByMethod: 'Pagos confirmados por método',
    method: 'método',
    amount: 'importe',
    series: 'Serie',
    period: 'periodo',
    stageDurations: 'Duración de las etapas (horas)',
    stage: 'etapa',
    count: 'pedidos',
    invalid: 'no válidos',
    none: 'ninguno',
    statuses: {
      pending: 'pendiente',
      awaiting_payment: 'esperando pago',
      confirmed: 'confirmado',
      preparing: 'en preparación',
      shipped: 'enviado',
      delivered: 'entregado',
      cancelled: 'cancelado',
    } as Record<string, string>,
    stages: {
      createdToConfirmed: 'creado → confirmado',
      confirmedToShipped: 'confirmado → enviado',
      shippedToDelivered: 'enviado → entregado',
      createdToDelivered: 'creado → entregado',
    } as Record<StageName, string>,
  },
  en: {
    title: 'Order statistics',
    range: 'Range',
    zone: 'zone',
    grouping: { day: 'by day', week: 'by week', month: 'by month' },
    currency: 'currency',
    orders: 'Orders',
    grossSales: 'Gross sales',
    averageOrderValue: 'Average order value',
    cancellationRate: 'Cancellation rate',
    byStatus: 'Orders by status',
    status: 'status',
    paymentsByMethod: 'Confirmed payments by method',
    method: 'method',
    amount: 'amount',
    series: 'Series',
    period: 'period',
    stageDurations: 'Stage durations (hours)',
    stage: 'stage',
    count: 'orders',
    invalid: 'invalid',
    none: 'none',
    statuses: {
      pending: 'pending',
      awaiting_payment: 'awaiting payment',
      confirmed: 'confirmed',
      preparing: 'preparing',
      shipped: 'shipped',
      delivered: 'delivered',
      cancelled: 'cancelled',
    } as Record<string, string>,
    stages: {
      createdToConfirmed: 'created → confirmed',
      confirmedToShipped: 'confirmed → shipped',
      shippedToDelivered: 'shipped → delivered',
      createdToDelivered: 'created → delivered',
    } as Record<StageName, string>,
  },
} as const;

const locales: Record<Lang, string> = { es: 'es-ES', en: 'en-US' };

/** Formats a whole number with the language's digit grouping. */
function formatInteger(value: number | bigint, lang: Lang): string {
  return new Intl.NumberFormat(locales[lang], { useGrouping: true }).format(value);
}

/** Formats a decimal amount string exactly (no float rounding), e.g. "2181234.56" -> "2.181.234,56 BRL" in Spanish. */
export function formatMoney(money: MoneyData | null, lang: Lang): string {
  if (money === null) return '—';
  const negative = money.amount.startsWith('-');
  const [whole, fraction] = money.amount.replace('-', '').split('.');
  const decimalSeparator = lang === 'es' ? ',' : '.';
  const grouped = formatInteger(BigInt(whole), lang);
  return `${negative ? '-' : ''}${grouped}${fraction !== undefined ? decimalSeparator + fraction : ''} ${money.currency}`;
}

function formatDecimal(value: number | null, digits: number, lang: Lang): string {
  if (value === null) return '—';
  return new Intl.NumberFormat(locales[lang], { minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: true }).format(value);
}

function formatRate(rate: number | null, lang: Lang): string {
  return rate === null ? '—' : `${formatDecimal(rate * 100, 2, lang)} %`;
}

/** Lays out rows as columns: the first left-aligned, the others right-aligned. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) =>
    `  ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line)];
}

/** Formats the statistics as text tables for people. */
export function formatStatsTable(stats: OrderStatistics, lang: Lang): string {
  const text = statsTexts[lang];
  const lines: string[] = [
    text.title,
    `  ${text.range}: [${stats.from}, ${stats.to}) · ${text.zone} ${stats.timeZone} · ${text.grouping[stats.groupBy]} · ${text.currency} ${stats.currency}`,
    `  ${text.orders}: ${formatInteger(stats.orders, lang)}`,
    `  ${text.grossSales}: ${formatMoney(stats.grossSales, lang)}`,
    `  ${text.averageOrderValue}: ${formatMoney(stats.averageOrderValue, lang)}`,
    `  ${text.cancellationRate}: ${formatRate(stats.cancellationRate, lang)}`,
    '',
    text.byStatus,
  ];

  const statuses = Object.entries(stats.byStatus).sort((a, b) => b[1] - a[1]);
  lines.push(...(statuses.length === 0 ? [`  ${text.none}`] : table([text.status, text.count], statuses.map(([status, orders]) => [text.statuses[status] ?? status, formatInteger(orders, lang)]))));

  lines.push('', text.paymentsByMethod);
  const methods = Object.entries(stats.paymentsByMethod).sort((a, b) => a[0].localeCompare(b[0]));
  lines.push(...(methods.length === 0 ? [`  ${text.none}`] : table([text.method, text.amount], methods.map(([method, money]) => [method, formatMoney(money, lang)]))));

  lines.push('', `${text.series} (${text.grouping[stats.groupBy]})`);
  lines.push(...table([text.period, text.count, text.grossSales.toLowerCase()], stats.series.map((point) => [point.period, formatInteger(point.orders, lang), formatMoney(point.grossSales, lang)])));

  lines.push('', text.stageDurations);
  lines.push(
    ...table(
      [text.stage, text.count, text.invalid, 'p50', 'p90'],
      stageNames.map((name) => stageRow(text.stages[name], stats.stageDurations[name], lang)),
    ),
  );
  return lines.join('\n');
}

function stageRow(label: string, duration: StageDuration, lang: Lang): string[] {
  return [label, formatInteger(duration.count, lang), formatInteger(duration.invalid, lang), formatDecimal(duration.p50Hours, 1, lang), formatDecimal(duration.p90Hours, 1, lang)];
}

function csvCell(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Formats the statistics as one CSV table in long form (`section,key,metric,value`),
 * so every figure of the JSON has one row; amounts keep the API's decimal strings.
 */
export function formatStatsCsv(stats: OrderStatistics): string {
  const rows: (string | number | null)[][] = [['section', 'key', 'metric', 'value']];
  rows.push(['summary', '', 'orders', stats.orders]);
  rows.push(['summary', '', 'grossSales', stats.grossSales.amount]);
  rows.push(['summary', '', 'averageOrderValue', stats.averageOrderValue?.amount ?? null]);
  rows.push(['summary', '', 'cancellationRate', stats.cancellationRate]);
  rows.push(['summary', '', 'currency', stats.currency]);
  for (const [status, orders] of Object.entries(stats.byStatus)) rows.push(['byStatus', status, 'orders', orders]);
  for (const [method, money] of Object.entries(stats.paymentsByMethod)) rows.push(['paymentsByMethod', method, 'amount', money.amount]);
  for (const point of stats.series) {
    rows.push(['series', point.period, 'orders', point.orders]);
    rows.push(['series', point.period, 'grossSales', point.grossSales.amount]);
  }
  for (const name of stageNames) {
    const duration = stats.stageDurations[name];
    rows.push(['stageDurations', name, 'count', duration.count]);
    rows.push(['stageDurations', name, 'invalid', duration.invalid]);
    rows.push(['stageDurations', name, 'p50Hours', duration.p50Hours]);
    rows.push(['stageDurations', name, 'p90Hours', duration.p90Hours]);
  }
  return rows.map((row) => row.map(csvCell).join(',')).join('\n');
}

export function formatStats(stats: OrderStatistics, format: StatsFormat, lang: Lang): string {
  switch (format) {
    case 'json':
      return JSON.stringify(stats, null, 2);
    case 'csv':
      return formatStatsCsv(stats);
    case 'table':
      return formatStatsTable(stats, lang);
  }
}
