import type { MoneyData } from '../../pedido/events';
import type { CallOptions, ShippingRates } from '../ports';
import { digitsOf, moneyOfMinor, toMoneyData } from '../../pedido/money';

/**
 * Shipping-rates stand-in: one flat rate per order (`SHIPPING_FLAT_RATE`,
 * e.g. "4.90"), read in the order's currency. A rate with more decimals than
 * the currency has is rounded half to even to its minor unit ("4.90" is 5 JPY).
 */
export class FlatShippingRates implements ShippingRates {
  constructor(private readonly flatRate: string) {
    if (!/^\d+(\.\d+)?$/.test(flatRate)) throw new Error(`Invalid flat shipping rate ${JSON.stringify(flatRate)}; expected a decimal amount such as 4.90`);
  }

  async quote(request: { currency: string; lines: { productId: string; quantity: number }[] }, _options?: CallOptions): Promise<MoneyData> {
    return toMoneyData(moneyOfMinor(roundToMinorUnits(this.flatRate, digitsOf(request.currency)), request.currency));
  }
}

function roundToMinorUnits(decimal: string, digits: number): number {
  const [whole, fraction = ''] = decimal.split('.');
  const truncated = BigInt(whole + fraction.slice(0, digits).padEnd(digits, '0'));
  const dropped = fraction.slice(digits);
  if (!/[1-9]/.test(dropped)) return Number(truncated);
  const half = `5${'0'.repeat(dropped.length - 1)}`;
  const roundUp = dropped > half || (dropped === half && truncated % 2n === 1n);
  return Number(roundUp ? truncated + 1n : truncated);
}
