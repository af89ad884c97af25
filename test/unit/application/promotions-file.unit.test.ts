import path from 'node:path';
import { PromotionsFileError, parsePromotions, readPromotionsFile } from '../../../src/application/promotions/promotions-file';

describe('promotions file', () => {
  it('reads the sample file', () => {
    const promotions = readPromotionsFile(path.resolve(__dirname, '../../../src/application/promotions/sample-promotions.json'));
    expect(promotions.map((promotion) => promotion.code)).toContain('WELCOME10');
  });

  it('normalizes codes, percentages and times', () => {
    const [promotion] = parsePromotions([{ code: 'spring', percentOff: 12.5, validFrom: '2025-01-01T01:00:00+01:00' }], 'test.json');
    expect(promotion).toEqual({
      code: 'SPRING',
      percentOff: '12.5',
      amountOff: null,
      validFrom: '2025-01-01T00:00:00.000Z',
      validTo: null,
      minSubtotal: null,
      maxRedemptions: null,
    });
  });

  it.each([
    ['both kinds of discount', { code: 'A', percentOff: 5, amountOff: { amount: '1.00', currency: 'EUR' } }, 'exactly one of percentOff and amountOff'],
    ['no discount', { code: 'A' }, 'exactly one of percentOff and amountOff'],
    ['three decimals of percent', { code: 'A', percentOff: 5.125 }, 'percentOff'],
    ['over 100 percent', { code: 'A', percentOff: 101 }, 'percentOff'],
    ['too many decimals of money', { code: 'A', amountOff: { amount: '1.001', currency: 'EUR' } }, 'amountOff'],
    ['a bad time', { code: 'A', percentOff: 5, validTo: 'tomorrow' }, 'validTo'],
    ['an inverted window', { code: 'A', percentOff: 5, validFrom: '2025-02-01T00:00:00Z', validTo: '2025-01-01T00:00:00Z' }, 'validTo'],
    ['an unknown field', { code: 'A', percentOff: 5, stackable: true }, 'stackable'],
    ['a negative limit', { code: 'A', percentOff: 5, maxRedemptions: -1 }, 'maxRedemptions'],
  ])('rejects an entry with %s, naming the file, entry and field', (_label, entry, field) => {
    expect(() => parsePromotions([{ code: 'OK', percentOff: 1 }, entry], '/etc/promos.json')).toThrow(PromotionsFileError);
    try {
      parsePromotions([{ code: 'OK', percentOff: 1 }, entry], '/etc/promos.json');
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('/etc/promos.json');
      expect(message).toContain('entry 1 (code "A")');
      expect(message).toContain(field);
    }
  });

  it('rejects a duplicate code in any letter case', () => {
    expect(() => parsePromotions([{ code: 'a', percentOff: 1 }, { code: 'A', percentOff: 2 }], 'f.json')).toThrow(/more than once/);
  });

  it('rejects a file that is not an array', () => {
    expect(() => parsePromotions({ code: 'A' }, 'f.json')).toThrow(/JSON array/);
  });

  it('rejects a missing file with its path', () => {
    expect(() => readPromotionsFile('/nonexistent/promotions.json')).toThrow(/\/nonexistent\/promotions\.json/);
  });
});
