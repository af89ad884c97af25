import type { MoneyData } from '../pedido/events';

/**
 * Conversions between the `{ amount, currency }` wire shape and integer minor
 * units, for storing prices in reference tables. The number of decimals comes
 * from the ISO 4217 data that Node's ICU ships (EUR 2, JPY 0, KWD 3).
 *
 * NOTE: the domain's money module (`parseMoney`, `toMoneyData`) is the rule
 * for orders; these helpers only move reference prices in and out of storage.
 */
export function currencyDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

export function isCurrencyCode(text: string): boolean {
  if (!/^[A-Z]{3}$/.test(text)) return false;
  try {
    return Intl.supportedValuesOf('currency').includes(text);
  } catch {
    return true;
  }
}

/**
 * Converts a decimal amount ("34.90", "34.9" or 34.9) into minor units, or
 * returns undefined when it is negative, not a number, or has more decimals
 * than the currency allows.
 */
export function toMinorUnits(amount: string | number, currency: string): number | undefined {
  const text = typeof amount === 'number' ? String(amount) : amount.trim();
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) return undefined;
  const digits = currencyDigits(currency);
  const fraction = match[2] ?? '';
  if (fraction.length > digits) return undefined;
  const minor = Number(match[1] + fraction.padEnd(digits, '0'));
  return Number.isSafeInteger(minor) ? minor : undefined;
}

export function fromMinorUnits(minor: number, currency: string): MoneyData {
  const digits = currencyDigits(currency);
  const text = String(Math.abs(minor)).padStart(digits + 1, '0');
  const whole = text.slice(0, text.length - digits);
  const fraction = text.slice(text.length - digits);
  const sign = minor < 0 ? '-' : '';
  return { amount: digits === 0 ? `${sign}${whole}` : `${sign}${whole}.${fraction}`, currency };
}
