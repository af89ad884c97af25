import { decodeCursor, encodeCursor } from '../../../projections/orders/queries';
import { divideHalfEven, formatMinor, hasOffset } from '../../../projections/statistics/queries';

describe('divideHalfEven', () => {
  it.each([
    [10n, 4n, 2n],
    [14n, 4n, 4n],
    [5n, 2n, 2n],
    [7n, 2n, 4n],
    [2n, 3n, 1n],
    [1n, 3n, 0n],
    [100n, 1n, 100n],
  ])('%p / %p is %p', (dividend, divisor, expected) => {
    expect(divideHalfEven(dividend, divisor)).toBe(expected);
  });
});

describe('formatMinor', () => {
  it.each([
    [3490n, 'EUR', '34.90'],
    [5n, 'EUR', '0.05'],
    [2000n, 'JPY', '2000'],
    [1250n, 'KWD', '1.250'],
    [-150n, 'EUR', '-1.50'],
    [12345678901234567n, 'EUR', '123456789012345.67'],
  ])('formats %p %s as %s', (minor, currency, expected) => {
    expect(formatMinor(minor, currency)).toBe(expected);
  });
});

describe('hasOffset', () => {
  it.each([
    ['2024-01-01T00:00:00Z', true],
    ['2024-01-01T00:00:00+09:00', true],
    ['2024-01-01T00:00:00-0300', true],
    ['2024-01-01T00:00:00', false],
    ['2024-01-01', false],
  ])('%s has an offset: %p', (text, expected) => {
    expect(hasOffset(text)).toBe(expected);
  });
});

describe('list cursor', () => {
  it('round-trips', () => {
    const cursor = { createdAt: '2024-01-31T23:30:00.123456Z', orderId: 'a1b2' };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it.each(['', 'not base64 !', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('["yesterday","x"]').toString('base64url')])(
    'rejects %p',
    (text) => {
      expect(decodeCursor(text)).toBeUndefined();
    },
  );
});
