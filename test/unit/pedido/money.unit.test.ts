import {
  addMoney,
  DomainError,
  formatAmount,
  fromMoneyData,
  multiplyMoney,
  parseMoney,
  parsePercentHundredths,
  percentOf,
  subtractMoney,
  sumMoney,
  toMoneyData,
  type Money,
} from '../../../src/pedido';

function errorOf(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

const money = (minor: number, currency = 'EUR'): Money => ({ minor, currency });

describe('parseMoney', () => {
  it.each([
    ['34.90', 'EUR', 3490],
    ['34.9', 'EUR', 3490],
    ['34', 'EUR', 3400],
    ['0.01', 'USD', 1],
    ['0', 'BRL', 0],
    ['2000', 'JPY', 2000],
    ['1500', 'KRW', 1500],
    ['990', 'CLP', 990],
    ['1.250', 'KWD', 1250],
    ['0.005', 'BHD', 5],
    ['12.3', 'JOD', 12300],
    ['7.777', 'OMR', 7777],
    ['1.001', 'TND', 1001],
    ['250000.00', 'COP', 25000000],
    ['199.99', 'MXN', 19999],
    ['15000.50', 'ARS', 1500050],
  ])('reads %s %s as %i minor units', (amount, currency, minor) => {
    expect(parseMoney(amount, currency)).toEqual({ minor, currency });
  });

  it.each([
    [34.9, 'EUR', 3490],
    [0.1, 'EUR', 10],
    [0.3, 'USD', 30],
    [2000, 'JPY', 2000],
    [1.25, 'KWD', 1250],
    [-0, 'EUR', 0],
  ])('reads the JSON number %d %s without floating-point drift', (amount, currency, minor) => {
    expect(parseMoney(amount, currency)).toEqual({ minor, currency });
  });

  it('rejects 0.1 + 0.2 for its decimals', () => {
    expect(errorOf(() => parseMoney(0.1 + 0.2, 'EUR')).params.reason).toBe('too_many_decimals');
  });

  it.each([
    ['34.901', 'EUR'],
    ['34.900', 'EUR'],
    ['1.5', 'JPY'],
    ['100.0', 'JPY'],
    ['1.2345', 'KWD'],
    ['0.001', 'USD'],
  ])('rejects %s %s for too many decimals instead of rounding', (amount, currency) => {
    const error = errorOf(() => parseMoney(amount, currency));
    expect(error.code).toBe('MONEY_INVALID');
    expect(error.status).toBe(400);
    expect(error.params).toEqual({ amount, currency, reason: 'too_many_decimals' });
  });

  it.each([
    [1.005, 'EUR'],
    [0.5, 'JPY'],
    [1e-7, 'KWD'],
  ])('rejects the JSON number %d %s for too many decimals', (amount, currency) => {
    expect(errorOf(() => parseMoney(amount, currency)).params.reason).toBe('too_many_decimals');
  });

  it.each(['', ' 1.00', '1.00 ', '1,00', '+1.00', '.5', '5.', '1e3', 'abc', '0x10', '١٢'])('rejects the string %j as not a number', (amount) => {
    expect(errorOf(() => parseMoney(amount, 'EUR')).params.reason).toBe('not_a_number');
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('rejects the number %d as not a number', (amount) => {
    expect(errorOf(() => parseMoney(amount, 'EUR')).params.reason).toBe('not_a_number');
  });

  it('rejects non-string, non-number input', () => {
    expect(errorOf(() => parseMoney(null as unknown as string, 'EUR')).params.reason).toBe('not_a_number');
    expect(errorOf(() => parseMoney({} as unknown as string, 'EUR')).params.reason).toBe('not_a_number');
  });

  it('rejects negatives unless allowed', () => {
    expect(errorOf(() => parseMoney('-1.00', 'EUR')).params.reason).toBe('negative');
    expect(parseMoney('-1.00', 'EUR', { allowNegative: true })).toEqual(money(-100));
  });

  it('rejects zero when a positive amount is required', () => {
    expect(errorOf(() => parseMoney('0.00', 'EUR', { requirePositive: true })).params.reason).toBe('not_positive');
  });

  it('rejects amounts beyond the safe integer range', () => {
    expect(errorOf(() => parseMoney('90071992547409.92', 'EUR')).params.reason).toBe('too_large');
    expect(errorOf(() => parseMoney(1e21, 'EUR')).params.reason).toBe('too_large');
    expect(parseMoney('90071992547409.91', 'EUR').minor).toBe(Number.MAX_SAFE_INTEGER);
  });

  it.each(['XYZ', 'eur', '', 'EURO'])('rejects the unknown currency %j', (currency) => {
    const error = errorOf(() => parseMoney('1.00', currency));
    expect(error.code).toBe('MONEY_INVALID');
    expect(error.params.reason).toBe('unknown_currency');
  });
});

describe('formatAmount', () => {
  it.each([
    [3490, 'EUR', '34.90'],
    [5, 'EUR', '0.05'],
    [0, 'EUR', '0.00'],
    [-5, 'EUR', '-0.05'],
    [2000, 'JPY', '2000'],
    [0, 'JPY', '0'],
    [1250, 'KWD', '1.250'],
    [7, 'BHD', '0.007'],
    [Number.MAX_SAFE_INTEGER, 'USD', '90071992547409.91'],
  ])('writes %i %s as %s', (minor, currency, text) => {
    expect(formatAmount(money(minor, currency))).toBe(text);
  });

  it('round-trips through the REST money shape', () => {
    const data = toMoneyData(money(123456, 'KWD'));
    expect(data).toEqual({ amount: '123.456', currency: 'KWD' });
    expect(fromMoneyData(data)).toEqual(money(123456, 'KWD'));
  });
});

describe('money arithmetic', () => {
  it('adds, subtracts and multiplies exactly', () => {
    expect(addMoney(money(10), money(20))).toEqual(money(30));
    expect(subtractMoney(money(10), money(25))).toEqual(money(-15));
    expect(multiplyMoney(money(1099), 3)).toEqual(money(3297));
    expect(sumMoney([money(10), money(20), money(30)], 'EUR')).toEqual(money(60));
  });

  it('sums ten thousand dimes to exactly 1000.00', () => {
    const dimes = Array.from({ length: 10_000 }, () => parseMoney(0.1, 'EUR'));
    expect(formatAmount(sumMoney(dimes, 'EUR'))).toBe('1000.00');
  });

  it.each([
    () => addMoney(money(1, 'EUR'), money(1, 'USD')),
    () => subtractMoney(money(1, 'JPY'), money(1, 'EUR')),
    () => sumMoney([money(1, 'USD')], 'EUR'),
    () => fromMoneyData({ amount: '1.00', currency: 'USD' }, 'EUR'),
  ])('rejects mixed currencies (case %#)', (run) => {
    const error = errorOf(run);
    expect(error.code).toBe('CURRENCY_MISMATCH');
    expect(error.status).toBe(422);
  });

  it('rejects a product beyond the safe integer range', () => {
    expect(errorOf(() => multiplyMoney(money(Number.MAX_SAFE_INTEGER), 2)).params.reason).toBe('too_large');
  });
});

describe('percentOf (half-even, once, to the minor unit)', () => {
  it.each([
    ['33.33', '0.10', 'EUR', '0.03'],
    ['12.5', '0.99', 'EUR', '0.12'],
    ['50', '0.05', 'EUR', '0.02'],
    ['50', '0.07', 'EUR', '0.04'],
    ['50', '0.03', 'EUR', '0.02'],
    ['10', '0.05', 'EUR', '0.00'],
    ['10', '0.15', 'EUR', '0.02'],
    ['10', '0.25', 'EUR', '0.02'],
    ['15', '19.99', 'EUR', '3.00'],
    ['12.5', '21.98', 'EUR', '2.75'],
    ['0.01', '10000.00', 'EUR', '1.00'],
    ['100', '34.90', 'EUR', '34.90'],
    ['0', '34.90', 'EUR', '0.00'],
    ['33.33', '999', 'JPY', '333'],
    ['50', '5', 'JPY', '2'],
    ['50', '7', 'JPY', '4'],
    ['12.5', '1.001', 'KWD', '0.125'],
    ['33.33', '0.100', 'KWD', '0.033'],
  ])('takes %s%% of %s %s as %s', (percent, amount, currency, expected) => {
    expect(formatAmount(percentOf(parseMoney(amount, currency), percent))).toBe(expected);
  });

  it('accepts a JSON number percentage through its shortest string form', () => {
    expect(formatAmount(percentOf(parseMoney('0.99', 'EUR'), 12.5))).toBe('0.12');
  });

  it.each(['100.01', '-5', '12.345', 'ten', '', '1e1', ' 5'])('rejects the percentage %j', (percent) => {
    expect(parsePercentHundredths(percent)).toBeUndefined();
    expect(errorOf(() => percentOf(money(100), percent)).code).toBe('MONEY_INVALID');
  });

  it('reads percentages as hundredths of a percent', () => {
    expect(parsePercentHundredths('12.5')).toBe(1250);
    expect(parsePercentHundredths('33.33')).toBe(3333);
    expect(parsePercentHundredths('100')).toBe(10_000);
    expect(parsePercentHundredths('0.01')).toBe(1);
  });

  it('stays exact on the largest safe amount', () => {
    const result = percentOf(money(Number.MAX_SAFE_INTEGER), '33.33');
    // 9007199254740991 × 3333 = 30020995116051723003; / 10000 leaves .3003, rounded down
    expect(result.minor).toBe(3002099511605172);
  });
});
