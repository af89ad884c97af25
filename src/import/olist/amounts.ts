/**
 * BRL amounts of the dataset (`"810.00"`, `"16.9"`, `"7"`) as integer
 * centavos, and back. The import keeps its own reading of the CSV text so
 * that a malformed value is reported as an anomaly instead of being rounded.
 */
const amountPattern = /^(\d+)(?:\.(\d{1,2}))?$/;

/** Parses a non-negative decimal with at most two decimals; returns undefined for anything else. */
export function parseCentavos(text: string): number | undefined {
  const match = amountPattern.exec(text.trim());
  if (!match) return undefined;
  const cents = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  return Number.isSafeInteger(cents) ? cents : undefined;
}

/** Formats integer centavos as the API's decimal string, e.g. 88075 -> "880.75". */
export function formatCentavos(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const absolute = Math.abs(cents);
  return `${sign}${Math.floor(absolute / 100)}.${String(absolute % 100).padStart(2, '0')}`;
}
