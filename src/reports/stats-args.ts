import { isSupportedCurrency } from '../pedido/money';
import {
  detectLang,
  parseLang,
  parseOptions,
  parseTimeZone,
  UsageError,
  usageTextsFor,
  type Lang,
} from '../import/olist/cli-args';

export type StatsFormat = 'table' | 'csv' | 'json';
export type StatsGroupBy = 'day' | 'week' | 'month';

export interface StatsArgs {
  from: string;
  to: string;
  groupBy: StatsGroupBy;
  timeZone: string;
  /** Currency of the orders counted; the service's DEFAULT_CURRENCY when not given. */
  currency?: string;
  format: StatsFormat;
  lang: Lang;
}

const formats: readonly StatsFormat[] = ['table', 'csv', 'json'];
const groupings: readonly StatsGroupBy[] = ['day', 'week', 'month'];

// A date, or a date and time with an optional offset: the forms GET /api/orders/stats accepts for from and to.
const boundPattern = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;

const texts = {
  es: {
    missingBound: (option: string) => `Falta --${option}: indique una fecha como 2017-01-01 (o 2017-01-01T00:00:00Z).`,
    badBound: (option: string, value: string) =>
      `Fecha no válida para --${option}: "${value}". Use AAAA-MM-DD o una fecha y hora ISO 8601 como 2017-01-01T00:00:00-03:00.`,
    badRange: (from: string, to: string) => `El intervalo está vacío: --from ${from} debe ser anterior a --to ${to}.`,
    badGroupBy: (value: string) => `Agrupación no válida: "${value}". Use --group-by day, week o month.`,
    badCurrency: (value: string) => `Moneda no válida: "${value}". Use un código ISO 4217 como BRL o EUR.`,
  },
  en: {
    missingBound: (option: string) => `Missing --${option}: give a date such as 2017-01-01 (or 2017-01-01T00:00:00Z).`,
    badBound: (option: string, value: string) =>
      `Invalid date for --${option}: "${value}". Use YYYY-MM-DD or an ISO 8601 date-time such as 2017-01-01T00:00:00-03:00.`,
    badRange: (from: string, to: string) => `The range is empty: --from ${from} must be before --to ${to}.`,
    badGroupBy: (value: string) => `Invalid grouping "${value}". Use --group-by day, week or month.`,
    badCurrency: (value: string) => `Invalid currency "${value}". Use an ISO 4217 code such as BRL or EUR.`,
  },
} as const;

/** Whether the date part names a real calendar day and the time part a real time (2017-02-30 and 25:00 do not). */
function isRealDate(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  const dayExists = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  const time = /T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(text);
  const timeExists = !time || (Number(time[1]) < 24 && Number(time[2]) < 60 && Number(time[3] ?? 0) < 60);
  return dayExists && timeExists;
}

function parseBound(option: string, value: string | undefined, lang: Lang): string {
  if (value === undefined || value === '') throw new UsageError(texts[lang].missingBound(option));
  if (!boundPattern.test(value) || !isRealDate(value)) throw new UsageError(texts[lang].badBound(option, value));
  return value;
}

/** Whether the range has no time in it, when both bounds have the same form (both with an offset, or both local). */
function rangeIsEmpty(from: string, to: string): boolean {
  const hasOffset = (text: string) => /(Z|[+-]\d{2}:\d{2})$/.test(text);
  if (hasOffset(from) && hasOffset(to)) return Date.parse(from) >= Date.parse(to);
  if (hasOffset(from) || hasOffset(to)) return false;
  // Local bounds compare as text once both have seconds: 2017-01-01 is 2017-01-01T00:00:00.
  const normalize = (text: string) => (text.length === 10 ? `${text}T00:00:00` : text.length === 16 ? `${text}:00` : text);
  return normalize(from) >= normalize(to);
}

/**
 * Parses `npm run stats -- --from D --to D [--group-by day|week|month]
 * [--time-zone ZONE] [--currency CODE] [--format table|csv|json] [--lang es|en]`.
 */
export function parseStatsArgs(argv: readonly string[]): StatsArgs {
  const lang = detectLang(argv);
  const usage = usageTextsFor(lang);
  const values = parseOptions(
    argv,
    {
      from: { type: 'string' },
      to: { type: 'string' },
      'group-by': { type: 'string' },
      'time-zone': { type: 'string' },
      currency: { type: 'string' },
      format: { type: 'string' },
      lang: { type: 'string' },
    },
    usage,
  );

  const from = parseBound('from', values.from as string | undefined, lang);
  const to = parseBound('to', values.to as string | undefined, lang);
  if (rangeIsEmpty(from, to)) throw new UsageError(texts[lang].badRange(from, to));

  const groupBy = (values['group-by'] as string | undefined) ?? 'month';
  if (!groupings.includes(groupBy as StatsGroupBy)) throw new UsageError(texts[lang].badGroupBy(groupBy));

  const format = (values.format as string | undefined) ?? 'table';
  if (!formats.includes(format as StatsFormat)) throw new UsageError(usage.badFormat(format, formats.join(', ')));

  const currency = values.currency as string | undefined;
  if (currency !== undefined && !isSupportedCurrency(currency)) throw new UsageError(texts[lang].badCurrency(currency));

  return {
    from,
    to,
    groupBy: groupBy as StatsGroupBy,
    timeZone: parseTimeZone((values['time-zone'] as string | undefined) ?? 'UTC', usage),
    ...(currency !== undefined ? { currency } : {}),
    format: format as StatsFormat,
    lang: parseLang(values.lang as string | undefined, usage),
  };
}
