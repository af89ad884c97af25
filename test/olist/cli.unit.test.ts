import { parseImportArgs, UsageError } from '../../src/import/olist/cli-args';
import { formatImportReport } from '../../src/import/olist/report-text';
import type { ImportReport } from '../../src/import/olist/importer';
import { anomalyReasons } from '../../src/import/olist/anomalies';
import { parseStatsArgs } from '../../src/reports/stats-args';
import { formatMoney, formatStats, formatStatsCsv } from '../../src/reports/stats-format';
import type { OrderStatistics } from '../../projections/statistics/queries';

function usageMessage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error('expected a UsageError');
}

describe('parseImportArgs', () => {
  it('applies defaults', () => {
    expect(parseImportArgs(['--dir', 'data/olist'])).toEqual({
      dir: 'data/olist',
      timeZone: 'America/Sao_Paulo',
      json: false,
      lang: 'es',
      concurrency: 8,
    });
  });

  it('reads every option', () => {
    const args = parseImportArgs(['--dir=x', '--time-zone', 'UTC', '--limit', '50', '--json', '--lang', 'en', '--concurrency', '4']);
    expect(args).toEqual({ dir: 'x', timeZone: 'UTC', limit: 50, json: true, lang: 'en', concurrency: 4 });
  });

  it('names the bad value and the fix', () => {
    expect(usageMessage(() => parseImportArgs([]))).toContain('--dir');
    expect(usageMessage(() => parseImportArgs(['--dir', 'x', '--time-zone', 'Nowhere/Land']))).toContain('"Nowhere/Land"');
    expect(usageMessage(() => parseImportArgs(['--dir', 'x', '--limit=-3']))).toContain('"-3"');
    expect(usageMessage(() => parseImportArgs(['--dir', 'x', '--limit', '-3', '--lang', 'en']))).toBe(
      'Missing value for --limit. If the value starts with a dash, write it as --limit=VALUE.',
    );
    expect(usageMessage(() => parseImportArgs(['--dir', 'x', '--limit', '2.5', '--lang', 'en']))).toBe(
      'Invalid value for --limit: "2.5". Use an integer from 1 to 100000000.',
    );
    expect(usageMessage(() => parseImportArgs(['--dir', 'x', '--lang', 'fr']))).toContain('"fr"');
    expect(usageMessage(() => parseImportArgs(['--dir', 'x', '--verbose']))).toContain('--verbose');
  });
});

describe('parseStatsArgs', () => {
  it('applies defaults', () => {
    expect(parseStatsArgs(['--from', '2017-01-01', '--to', '2018-01-01'])).toEqual({
      from: '2017-01-01',
      to: '2018-01-01',
      groupBy: 'month',
      timeZone: 'UTC',
      format: 'table',
      lang: 'es',
    });
  });

  it('accepts date-times with offsets', () => {
    const args = parseStatsArgs(['--from', '2017-01-01T00:00:00-03:00', '--to', '2017-02-01T00:00:00Z', '--currency', 'BRL', '--format', 'csv']);
    expect(args.from).toBe('2017-01-01T00:00:00-03:00');
    expect(args.currency).toBe('BRL');
    expect(args.format).toBe('csv');
  });

  it('rejects bad values', () => {
    expect(usageMessage(() => parseStatsArgs(['--to', '2018-01-01']))).toContain('--from');
    expect(usageMessage(() => parseStatsArgs(['--from', '2017-02-30', '--to', '2018-01-01']))).toContain('"2017-02-30"');
    expect(usageMessage(() => parseStatsArgs(['--from', '2018-01-01', '--to', '2017-01-01']))).toContain('--from 2018-01-01');
    expect(usageMessage(() => parseStatsArgs(['--from', '2017-01-01', '--to', '2018-01-01', '--group-by', 'year']))).toContain('"year"');
    expect(usageMessage(() => parseStatsArgs(['--from', '2017-01-01', '--to', '2018-01-01', '--format', 'xml']))).toContain('"xml"');
    expect(usageMessage(() => parseStatsArgs(['--from', '2017-01-01', '--to', '2018-01-01', '--currency', 'brl']))).toContain('"brl"');
    expect(usageMessage(() => parseStatsArgs(['--from', '2017-01-01', '--to', '2018-01-01', '--currency', 'XXX']))).toContain('"XXX"');
  });
});

const stats: OrderStatistics = {
  from: '2017-01-01',
  to: '2017-03-01',
  groupBy: 'month',
  timeZone: 'America/Sao_Paulo',
  currency: 'BRL',
  orders: 3,
  byStatus: { delivered: 2, cancelled: 1 },
  grossSales: { amount: '1234567.89', currency: 'BRL' },
  averageOrderValue: { amount: '617283.95', currency: 'BRL' },
  cancellationRate: 1 / 3,
  paymentsByMethod: { credit_card: { amount: '1000.00', currency: 'BRL' } },
  series: [
    { period: '2017-01', orders: 2, grossSales: { amount: '1234567.89', currency: 'BRL' } },
    { period: '2017-02', orders: 1, grossSales: { amount: '0.00', currency: 'BRL' } },
  ],
  stageDurations: {
    createdToConfirmed: { count: 2, invalid: 0, p50Hours: 1.5, p90Hours: 2.25 },
    confirmedToShipped: { count: 2, invalid: 1, p50Hours: 30, p90Hours: 30 },
    shippedToDelivered: { count: 0, invalid: 0, p50Hours: null, p90Hours: null },
    createdToDelivered: { count: 0, invalid: 0, p50Hours: null, p90Hours: null },
  },
};

describe('stats formatting', () => {
  it('formats money exactly per language', () => {
    expect(formatMoney({ amount: '1234567.89', currency: 'BRL' }, 'es')).toBe('1.234.567,89 BRL');
    expect(formatMoney({ amount: '1234567.89', currency: 'BRL' }, 'en')).toBe('1,234,567.89 BRL');
    expect(formatMoney(null, 'en')).toBe('—');
  });

  it('prints the table in Spanish and English', () => {
    const spanish = formatStats(stats, 'table', 'es');
    expect(spanish).toContain('Ventas brutas: 1.234.567,89 BRL');
    expect(spanish).toContain('Tasa de cancelación: 33,33 %');
    expect(spanish).toMatch(/entregado\s+2/);
    expect(spanish).toMatch(/confirmado → enviado\s+2\s+1\s+30,0\s+30,0/);
    const english = formatStats(stats, 'table', 'en');
    expect(english).toContain('Gross sales: 1,234,567.89 BRL');
    expect(english).toMatch(/shipped → delivered\s+0\s+0\s+—\s+—/);
  });

  it('prints every figure in the CSV', () => {
    const lines = formatStatsCsv(stats).split('\n');
    expect(lines[0]).toBe('section,key,metric,value');
    expect(lines).toContain('summary,,grossSales,1234567.89');
    expect(lines).toContain('byStatus,cancelled,orders,1');
    expect(lines).toContain('paymentsByMethod,credit_card,amount,1000.00');
    expect(lines).toContain('series,2017-02,orders,1');
    expect(lines).toContain('stageDurations,createdToConfirmed,p90Hours,2.25');
    expect(lines).toContain('stageDurations,shippedToDelivered,p50Hours,');
  });

  it('prints the JSON of the API', () => {
    expect(JSON.parse(formatStats(stats, 'json', 'es'))).toEqual(stats);
  });
});

describe('formatImportReport', () => {
  const report: ImportReport = {
    ordersRead: 14318,
    imported: 14000,
    alreadyPresent: 317,
    failed: [{ olistOrderId: 'abc', code: 'IMPORT_INVALID', message: 'bad' }],
    flagged: 2,
    flaggedByReason: { ...(Object.fromEntries(anomalyReasons.map((reason) => [reason, 0])) as ImportReport['flaggedByReason']), no_items: 2, cancelled_after_shipping: 1 },
    eventsAppended: 116050,
    lastPosition: null,
    durationMs: 61_500,
    ordersPerSec: 227.6,
    eventsPerSec: 1887.0,
    timeZone: 'America/Sao_Paulo',
  };

  it('reports counts and reasons in Spanish', () => {
    const text = formatImportReport(report, 'es');
    expect(text).toContain('Pedidos leídos: 14.318');
    expect(text).toContain('Ya presentes (sin cambios): 317');
    expect(text).toMatch(/2 {2}no_items \(sin artículos\)/);
    expect(text).toContain('cancelled_after_shipping (cancelado después del envío)');
    expect(text).toContain('Eventos añadidos: 116.050');
    expect(text).toContain('Tiempo: 61,5 s');
    expect(text).toContain('abc: IMPORT_INVALID');
    expect(text).not.toContain('zero_value_payment');
  });

  it('reports in English', () => {
    const text = formatImportReport(report, 'en');
    expect(text).toContain('Orders read: 14,318');
    expect(text).toContain('Rate: 228 orders/s, 1,887 events/s');
  });
});
