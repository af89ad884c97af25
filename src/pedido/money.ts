/**
 * Exact money: an integer count of the currency's minor units (cents for
 * EUR, yen for JPY, fils for KWD) held in a JS number that must stay a safe
 * integer. Decimal strings and JSON numbers are parsed digit by digit and
 * never pass through floating-point arithmetic. A JSON number is read through
 * its shortest round-trip string form (`String(n)`), so `34.9` is "34.9".
 *
 * Rounding rule (the only one in the domain): a percentage discount is
 * `subtotal × percent / 100`, computed exactly with BigInt on minor units and
 * rounded ONCE, half-even (banker's rounding) to the minor unit. It is applied
 * to the order's subtotal as a whole, never line by line. Examples: 33.33% of
 * 0.10 EUR is 0.033330 and becomes 0.03; 12.5% of 0.99 EUR is 0.12375 and
 * becomes 0.12; 50% of 0.05 EUR is 0.025 and becomes 0.02 (the even
 * neighbour). Parsing never rounds: more decimals than the currency has is an
 * error.
 */
import type { MoneyData } from './events';
import { DomainError } from './errors';

export interface Money {
  /** Amount in the currency's minor units; a safe integer. */
  readonly minor: number;
  /** ISO 4217 alphabetic code, upper case. */
  readonly currency: string;
}

/**
 * ISO 4217 minor-unit digits of the currencies the service accepts: every
 * 0-, 3- and 4-digit code, and the common 2-digit ones. A code missing here is
 * rejected as unknown.
 * NOTE: written from ISO 4217 as of 2024, not re-checked against the
 * maintenance agency's current table.
 */
const currencyDigits: Readonly<Record<string, number>> = {
  // 0 digits
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0,
  RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  // 3 digits
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  // 4 digits
  CLF: 4, UYW: 4,
  // 2 digits
  AED: 2, ARS: 2, AUD: 2, BGN: 2, BOB: 2, BRL: 2, CAD: 2, CHF: 2, CNY: 2,
  COP: 2, CRC: 2, CZK: 2, DKK: 2, DOP: 2, EGP: 2, EUR: 2, GBP: 2, GTQ: 2,
  HKD: 2, HNL: 2, HUF: 2, IDR: 2, ILS: 2, INR: 2, MAD: 2, MXN: 2, MYR: 2,
  NIO: 2, NOK: 2, NZD: 2, PAB: 2, PEN: 2, PHP: 2, PKR: 2, PLN: 2, QAR: 2,
  RON: 2, RSD: 2, SAR: 2, SEK: 2, SGD: 2, THB: 2, TRY: 2, TWD: 2, UAH: 2,
  USD: 2, UYU: 2, VES: 2, ZAR: 2,
};

export function isSupportedCurrency(currency: string): boolean {
  return Object.prototype.hasOwnProperty.call(currencyDigits, currency);
}

/** Returns the currency's ISO 4217 minor-unit digits; throws MONEY_INVALID for an unknown code. */
export function digitsOf(currency: string): number {
  if (!isSupportedCurrency(currency)) {
    throw new DomainError('MONEY_INVALID', { amount: null, currency, reason: 'unknown_currency' });
  }
  return currencyDigits[currency];
}

export function supportedCurrencies(): string[] {
  return Object.keys(currencyDigits).sort();
}

// ---------------------------------------------------------------------------
// Decimal parsing

interface Decimal {
  negative: boolean;
  /** All significant digits, no sign and no point. */
  digits: string;
  /** How many of `digits` are after the decimal point (may be negative after an exponent). */
  scale: number;
}

const plainDecimal = /^(-)?(\d+)(?:\.(\d+))?$/;
const numberForm = /^(-)?(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/;

/** Splits a decimal string, or a number's shortest string form, into sign, digits and scale. */
function toDecimal(value: string | number): Decimal | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    const match = numberForm.exec(String(value));
    if (!match) return undefined;
    const fraction = match[3] ?? '';
    const exponent = match[4] === undefined ? 0 : Number.parseInt(match[4], 10);
    return { negative: match[1] === '-', digits: match[2] + fraction, scale: fraction.length - exponent };
  }
  if (typeof value !== 'string') return undefined;
  const match = plainDecimal.exec(value);
  if (!match) return undefined;
  const fraction = match[3] ?? '';
  return { negative: match[1] === '-', digits: match[2] + fraction, scale: fraction.length };
}

/** Drops trailing zeros after the point, so "1.50" has one significant decimal. */
function significantScale(decimal: Decimal): number {
  let scale = decimal.scale;
  let end = decimal.digits.length;
  while (scale > 0 && end > 0 && decimal.digits[end - 1] === '0') {
    end -= 1;
    scale -= 1;
  }
  return scale;
}

/** Integer value of the decimal times 10^digits; undefined when that is not an integer. */
function scaleToInteger(decimal: Decimal, digits: number): bigint | undefined {
  const shift = digits - decimal.scale;
  if (shift >= 0) return BigInt(decimal.digits) * 10n ** BigInt(shift);
  const divisor = 10n ** BigInt(-shift);
  const value = BigInt(decimal.digits);
  return value % divisor === 0n ? value / divisor : undefined;
}

export interface ParseMoneyOptions {
  /** Accept amounts below zero (default false). */
  allowNegative?: boolean;
  /** Reject zero as well (default false). */
  requirePositive?: boolean;
}

/**
 * Parses a decimal string ("34.90", "2000", "1.250") or a JSON number into
 * exact money. Throws DomainError MONEY_INVALID (reason `not_a_number`,
 * `too_many_decimals`, `negative`, `not_positive`, `too_large` or
 * `unknown_currency`). Only as many decimals as the currency has are
 * accepted, counted as written: "34.900" EUR is rejected, because the API
 * promises a 400 for more decimals than the currency has.
 */
export function parseMoney(amount: string | number, currency: string, options: ParseMoneyOptions = {}): Money {
  const digits = digitsOf(currency);
  const shown = typeof amount === 'string' || typeof amount === 'number' ? String(amount) : null;
  const fail = (reason: string): DomainError => new DomainError('MONEY_INVALID', { amount: shown, currency, reason });

  const decimal = toDecimal(amount);
  if (!decimal) throw fail('not_a_number');
  const writtenScale = typeof amount === 'string' ? decimal.scale : significantScale(decimal);
  if (writtenScale > digits) throw fail('too_many_decimals');

  const magnitude = scaleToInteger(decimal, digits);
  if (magnitude === undefined) throw fail('too_many_decimals');
  if (magnitude > BigInt(Number.MAX_SAFE_INTEGER)) throw fail('too_large');

  const minor = decimal.negative && magnitude !== 0n ? -Number(magnitude) : Number(magnitude);
  if (minor < 0 && !options.allowNegative) throw fail('negative');
  if (minor <= 0 && options.requirePositive) throw fail('not_positive');
  return { minor, currency };
}

/** Builds money from minor units; throws MONEY_INVALID if they are not a safe integer. */
export function moneyOfMinor(minor: number, currency: string): Money {
  digitsOf(currency);
  if (!Number.isSafeInteger(minor)) {
    throw new DomainError('MONEY_INVALID', { amount: String(minor), currency, reason: 'too_large' });
  }
  return { minor: minor === 0 ? 0 : minor, currency };
}

export function zeroMoney(currency: string): Money {
  return moneyOfMinor(0, currency);
}

/** Formats the amount as a decimal string with exactly the currency's digits ("34.90", "2000", "1.250"). */
export function formatAmount(money: Money): string {
  const digits = digitsOf(money.currency);
  const negative = money.minor < 0;
  const absolute = BigInt(Math.abs(money.minor)).toString();
  if (digits === 0) return negative ? `-${absolute}` : absolute;
  const padded = absolute.padStart(digits + 1, '0');
  const body = `${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
  return negative ? `-${body}` : body;
}

export function toMoneyData(money: Money): MoneyData {
  return { amount: formatAmount(money), currency: money.currency };
}

/** Parses the REST/event money shape; `expectedCurrency`, when given, must match (else CURRENCY_MISMATCH). */
export function fromMoneyData(data: MoneyData, expectedCurrency?: string, options: ParseMoneyOptions = {}): Money {
  if (expectedCurrency !== undefined && data.currency !== expectedCurrency) {
    throw new DomainError('CURRENCY_MISMATCH', { expected: expectedCurrency, actual: data.currency });
  }
  return parseMoney(data.amount, data.currency, options);
}

// ---------------------------------------------------------------------------
// Arithmetic (one currency at a time)

export function assertSameCurrency(a: Money, b: Money): void {
  if (a.currency !== b.currency) {
    throw new DomainError('CURRENCY_MISMATCH', { expected: a.currency, actual: b.currency });
  }
}

export function addMoney(a: Money, b: Money): Money {
  assertSameCurrency(a, b);
  return moneyOfMinor(a.minor + b.minor, a.currency);
}

export function subtractMoney(a: Money, b: Money): Money {
  assertSameCurrency(a, b);
  return moneyOfMinor(a.minor - b.minor, a.currency);
}

/** Multiplies by a line quantity (an integer); throws MONEY_INVALID `too_large` past the safe range. */
export function multiplyMoney(money: Money, quantity: number): Money {
  if (!Number.isSafeInteger(quantity)) {
    throw new DomainError('MONEY_INVALID', { amount: formatAmount(money), currency: money.currency, reason: 'too_large' });
  }
  const product = BigInt(money.minor) * BigInt(quantity);
  if (product > BigInt(Number.MAX_SAFE_INTEGER) || product < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new DomainError('MONEY_INVALID', { amount: formatAmount(money), currency: money.currency, reason: 'too_large' });
  }
  return moneyOfMinor(Number(product), money.currency);
}

export function sumMoney(amounts: readonly Money[], currency: string): Money {
  return amounts.reduce((total, amount) => addMoney(total, amount), zeroMoney(currency));
}

export function compareMoney(a: Money, b: Money): -1 | 0 | 1 {
  assertSameCurrency(a, b);
  if (a.minor === b.minor) return 0;
  return a.minor < b.minor ? -1 : 1;
}

export function minMoney(a: Money, b: Money): Money {
  return compareMoney(a, b) <= 0 ? a : b;
}

export function maxMoney(a: Money, b: Money): Money {
  return compareMoney(a, b) >= 0 ? a : b;
}

export function isZero(money: Money): boolean {
  return money.minor === 0;
}

// ---------------------------------------------------------------------------
// Percentages

const percentForm = /^(\d{1,3})(?:\.(\d{1,2}))?$/;

/**
 * Parses a percentage from 0 to 100 with at most two decimals ("12.5", "33.33",
 * or a JSON number read through its shortest string form) into hundredths of
 * a percent (12.5 -> 1250). Returns undefined when malformed or out of range.
 */
export function parsePercentHundredths(percent: string | number): number | undefined {
  if (typeof percent === 'number' && !Number.isFinite(percent)) return undefined;
  const text = typeof percent === 'number' ? String(percent) : percent;
  if (typeof text !== 'string') return undefined;
  const match = percentForm.exec(text);
  if (!match) return undefined;
  const hundredths = Number.parseInt(match[1], 10) * 100 + Number.parseInt((match[2] ?? '').padEnd(2, '0'), 10);
  return hundredths <= 10_000 ? hundredths : undefined;
}

/** Divides a non-negative BigInt, rounding half to even. */
function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  const twiceRemainder = (numerator % denominator) * 2n;
  if (twiceRemainder > denominator) return quotient + 1n;
  if (twiceRemainder === denominator && quotient % 2n === 1n) return quotient + 1n;
  return quotient;
}

/**
 * Returns `percent` of a non-negative amount, rounded once, half-even, to the
 * minor unit (the rounding rule stated at the top of this file). Throws
 * DomainError MONEY_INVALID when the percentage is malformed or outside 0–100,
 * or when the amount is negative.
 */
export function percentOf(amount: Money, percent: string | number): Money {
  const hundredths = parsePercentHundredths(percent);
  if (hundredths === undefined) {
    throw new DomainError('MONEY_INVALID', { amount: String(percent), currency: amount.currency, reason: 'not_a_number' });
  }
  if (amount.minor < 0) {
    throw new DomainError('MONEY_INVALID', { amount: formatAmount(amount), currency: amount.currency, reason: 'negative' });
  }
  const exact = BigInt(amount.minor) * BigInt(hundredths);
  return moneyOfMinor(Number(divideHalfEven(exact, 10_000n)), amount.currency);
}
